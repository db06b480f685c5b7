/* SPDX-License-Identifier: MIT */
/*
 * The JSON report: the report model serialized (README "JSON report" is
 * the contract). Version 1 fields never change meaning; new fields may
 * be added.
 */
#ifndef LS_REPORT_JSON_H
#define LS_REPORT_JSON_H

#include <stdio.h>

struct report;

int report_json__write(FILE *f, const struct report *r);

#endif
