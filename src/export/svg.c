// SPDX-License-Identifier: MIT
/*
 * The SVG flame graph. Stacks are merged into one tree per kind (a node
 * per distinct path of names, children in name order, as flamegraph.pl
 * and inferno do, so the same report always draws the same), laid out
 * here with every frame's geometry written out, so the file shows
 * without script; the script below then only moves what is there.
 *
 * Each frame is
 *   <g class="f" data-n="leak_mmap_site" data-s="native_leaks.c:73"
 *      data-x="0" data-v="327680" data-c="5" data-d="2"><title>...</title>
 *      <rect .../><text ...>leak_mmap_site</text></g>
 * with x and v (start and weight) in the graph's units, so the script
 * can zoom without floating-point drift, and d the depth (root = 0).
 */
#include "export/svg.h"
#include "export/folded.h"
#include "base/hashmap.h"
#include "report/report.h"
#include "report/text.h"
#include "base/strtab.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 10
#define GRAPH_W (SVG_WIDTH - 2 * MARGIN)
#define ROW_H 16		/* a frame is ROW_H - 1 high */
#define TOP_H 76		/* title, subtitle, buttons and tabs */
#define BOTTOM_H 30		/* the details line */
#define CHAR_W 7.0		/* 12px monospace, for fitting labels */

enum role { ROLE_ROOT, ROLE_PROCESS, ROLE_SYNTH, ROLE_FRAME };

struct node {
	const char *name;
	const char *file;	/* the source, when all frames agree */
	uint32_t line;
	bool file_varies, line_varies;
	enum role role;
	uint64_t value, count, suspect_value, pre_value;
	uint32_t first_child, next_sibling;	/* 0: none */
	uint32_t parent;
	unsigned depth;
};

struct tree {
	int kind;
	struct node *n;
	size_t len, cap;
	struct u64map *index;	/* (parent, name) -> node */
	struct strtab *names;	/* frames made up for the tree ("[socket]") */
	unsigned rows;		/* drawn depth + 1 */
	size_t skipped;		/* frames too narrow to draw */
	uint64_t min_value;	/* narrower than this is not drawn */
};

/* ---- building ---- */

static uint32_t add_child(struct tree *t, uint32_t parent, const char *name,
			  enum role role)
{
	uint64_t key = hash_bytes(name, strlen(name), parent) ^ hash_u64(parent), v;
	struct node *c;

	for (;; key = hash_u64(key + 1)) {
		if (key == U64MAP_EMPTY)
			continue;
		if (!u64map__get(t->index, key, &v))
			break;
		if (t->n[v].parent == parent && strcmp(t->n[v].name, name) == 0)
			return (uint32_t)v;
	}
	grow_array((void **)&t->n, &t->cap, t->len + 1, sizeof(*t->n));
	c = &t->n[t->len];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->role = role;
	c->parent = parent;
	c->depth = t->n[parent].depth + 1;
	c->next_sibling = t->n[parent].first_child;
	t->n[parent].first_child = (uint32_t)t->len;
	u64map__put(t->index, key, t->len);
	return (uint32_t)t->len++;
}

static void account(struct tree *t, uint32_t i, const struct report_stack *s,
		    uint64_t w, const struct report_frame *f)
{
	struct node *n = &t->n[i];
	bool first = n->value == 0 && n->count == 0 && !n->file;

	n->value += w;
	n->count += s->count;
	if (s->suspect)
		n->suspect_value += w;
	if (s->preexisting)
		n->pre_value += w;
	if (!f)
		return;
	if (first) {
		n->file = f->file;
		n->line = f->line;
		return;
	}
	if (!n->file_varies && (!n->file != !f->file ||
				(n->file && f->file && strcmp(n->file, f->file))))
		n->file_varies = true;
	if (n->line != f->line)
		n->line_varies = true;
}

static void add_stack(struct tree *t, const struct report *r,
		      const struct report_stack *s)
{
	struct folded_options fo = { .kind_filter = s->kind, .process = FOLDED_PROC_PID };
	const char *proc;
	uint64_t w = folded__weight(s);
	uint32_t at = 0;

	account(t, 0, s, w, NULL);
	/* The process frame, as folded output names it. */
	folded__path(r, s, &fo, t->names, &proc, 1);
	at = add_child(t, at, proc, ROLE_PROCESS);
	account(t, at, s, w, NULL);
	if (!s->nframes) {
		at = add_child(t, at, s->preexisting ? "[held before attach]" :
			       "[no stack]", ROLE_SYNTH);
		account(t, at, s, w, NULL);
	}
	for (size_t i = s->nframes; i-- > 0;) {
		const struct report_frame *f = &s->frames[i];

		at = add_child(t, at, f->name && f->name[0] ? f->name : "[unknown]",
			       ROLE_FRAME);
		account(t, at, s, w, f);
	}
	if (s->kind == KIND_FD && s->fd_kind) {
		char buf[64];

		snprintf(buf, sizeof(buf), "[%s]", s->fd_kind);
		at = add_child(t, at, strtab__intern(t->names, buf), ROLE_FRAME);
		account(t, at, s, w, NULL);
	}
}

static void build_tree(struct tree *t, const struct report *r, int kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->index = u64map__new(1024);
	t->names = strtab__new();
	grow_array((void **)&t->n, &t->cap, 1, sizeof(*t->n));
	memset(&t->n[0], 0, sizeof(t->n[0]));
	t->n[0].name = "all";
	t->n[0].role = ROLE_ROOT;
	t->len = 1;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];

		if ((int)s->kind == kind && folded__weight(s))
			add_stack(t, r, s);
	}
	t->min_value = (uint64_t)ceil(t->n[0].value * SVG_MIN_SHARE);
}

static size_t subtree_size(const struct tree *t, uint32_t i)
{
	size_t n = 1;

	for (uint32_t c = t->n[i].first_child; c; c = t->n[c].next_sibling)
		n += subtree_size(t, c);
	return n;
}

static void measure(struct tree *t, uint32_t i)
{
	const struct node *n = &t->n[i];

	if (i && n->value < t->min_value) {
		t->skipped += subtree_size(t, i);
		return;
	}
	if (n->depth + 1 > t->rows)
		t->rows = n->depth + 1;
	for (uint32_t c = n->first_child; c; c = t->n[c].next_sibling)
		measure(t, c);
}

static void free_tree(struct tree *t)
{
	free(t->n);
	u64map__free(t->index);
	strtab__free(t->names);
}

/* ---- text ---- */

/* Write s as XML text or attribute content: markup escaped, control
 * characters as spaces, invalid UTF-8 as U+FFFD (an XML parser rejects
 * the whole file for one bad byte). At most max characters (0 = all). */
static void xml_text(FILE *f, const char *str, size_t max)
{
	const unsigned char *p = (const unsigned char *)(str ? str : "");
	size_t chars = 0;

	while (*p && (!max || chars < max)) {
		unsigned char c = *p;
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
			     (c >> 3) == 30 ? 4 : 0;
		bool ok = len > 0;

		for (size_t k = 1; ok && k < len; k++)
			ok = (p[k] & 0xc0) == 0x80;
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if (ok && len == 2)
			ok = c >= 0xc2;
		if (ok && len == 3)
			ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
		if (ok && len == 4)
			ok = c <= 0xf4 && !(c == 0xf0 && p[1] < 0x90) &&
			     !(c == 0xf4 && p[1] >= 0x90);
		chars++;
		if (!ok) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, f);
			p += len;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
		}
		p++;
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The label that fits a frame w px wide: the name, cut with ".." when
 * too long, nothing when not even three characters fit. */
static void write_label(FILE *f, const char *name, double w)
{
	long fit = (long)floor((w - 6) / CHAR_W);
	size_t len = utf8_chars(name);

	if (fit < 3)
		return;
	if (len <= (size_t)fit) {
		xml_text(f, name, 0);
	} else {
		xml_text(f, name, (size_t)fit - 2);
		fputs("..", f);
	}
}

static const char *kind_what(int kind)
{
	static const char *const what[KIND_MAX] = {
		[KIND_MMAP] = "mapped memory",
		[KIND_BRK] = "heap grown with brk",
		[KIND_FD] = "open file descriptors",
		[KIND_GOROUTINE] = "live goroutines",
		[KIND_GO_HEAP] = "Go heap in use",
		[KIND_GO_ALLOC] = "Go allocations still in use",
		[KIND_MALLOC] = "malloc'd memory",
	};
	return kind >= 0 && kind < KIND_MAX ? what[kind] : "?";
}

/* "8.0 MiB in 2 mappings" or "3 fds" */
static void amount(char *buf, size_t size, int kind, uint64_t value,
		   uint64_t count)
{
	char b[32];

	if (kind_has_bytes(kind))
		snprintf(buf, size, "%s in %" PRIu64 " %s",
			 format_bytes(value, b, sizeof(b)), count,
			 kind_item_name(kind, count));
	else
		snprintf(buf, size, "%" PRIu64 " %s", value,
			 kind_item_name(kind, value));
}

static void source(char *buf, size_t size, const struct node *n)
{
	const char *base;

	buf[0] = '\0';
	if (!n->file || n->file_varies)
		return;
	base = strrchr(n->file, '/');
	base = base ? base + 1 : n->file;
	if (n->line && !n->line_varies)
		snprintf(buf, size, "%s:%u", base, n->line);
	else
		snprintf(buf, size, "%s", base);
}

static bool pid_in_graph(const struct report *r, int kind, int pid)
{
	for (size_t i = 0; i < r->nstacks; i++)
		if ((int)r->stacks[i].kind == kind && r->stacks[i].pid == pid &&
		    folded__weight(&r->stacks[i]))
			return true;
	return false;
}

/* The targets with stacks in this graph (all of them when none has):
 * "leaky (4242), worker (4250) and 3 more" */
static void targets(char *buf, size_t size, const struct report *r, int kind)
{
	size_t n = 0, shown = 0, in_graph = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->ntargets; i++)
		in_graph += pid_in_graph(r, kind, r->targets[i].pid);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		if (in_graph && !pid_in_graph(r, kind, t->pid))
			continue;
		if (shown++ == 3)
			break;
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%s (%d)",
			      shown > 1 ? ", " : "", t->comm, t->pid);
	}
	if (shown > 3 && n < size)
		snprintf(buf + n, size - n, " and %zu more",
			 (in_graph ? in_graph : r->ntargets) - 3);
	if (!r->ntargets)
		snprintf(buf, size, "no targets");
}

/* ---- colors ---- */

static void hsl(char *buf, size_t size, double h, double s, double l)
{
	double c = (1 - fabs(2 * l - 1)) * s, hp = fmod(h, 360) / 60;
	double x = c * (1 - fabs(fmod(hp, 2) - 1)), m = l - c / 2;
	double r = 0, g = 0, b = 0;

	switch ((int)hp) {
	case 0: r = c; g = x; break;
	case 1: r = x; g = c; break;
	case 2: g = c; b = x; break;
	case 3: g = x; b = c; break;
	case 4: r = x; b = c; break;
	default: r = c; b = x; break;
	}
	snprintf(buf, size, "rgb(%d,%d,%d)", (int)lround((r + m) * 255),
		 (int)lround((g + m) * 255), (int)lround((b + m) * 255));
}

/* The same name gets the same color in every graph and every run. */
static void color(char *buf, size_t size, const struct tree *t,
		  const struct node *n)
{
	uint64_t h = hash_bytes(n->name, strlen(n->name), 0x51);
	double a = (h & 0xffff) / 65535.0, b = ((h >> 16) & 0xffff) / 65535.0;

	if (n->role == ROLE_ROOT)
		hsl(buf, size, 0, 0, 0.80);
	else if (n->role == ROLE_PROCESS)
		hsl(buf, size, 215, 0.25, 0.74);
	else if (n->pre_value == n->value)
		hsl(buf, size, 0, 0, 0.70 + 0.08 * a);
	else if (n->suspect_value)
		hsl(buf, size, 8 + 28 * a, 0.85, 0.56 + 0.08 * b);
	else if (t->kind == KIND_FD)
		hsl(buf, size, 255 + 40 * a, 0.45, 0.66 + 0.08 * b);
	else if (t->kind == KIND_GOROUTINE)
		hsl(buf, size, 160 + 25 * a, 0.45, 0.55 + 0.10 * b);
	else		/* memory: green to blue */
		hsl(buf, size, 95 + 105 * a, 0.50 + 0.12 * b, 0.50 + 0.12 * a);
}

/* ---- writing ---- */

static int cmp_names(const void *a, const void *b, void *ctx)
{
	const struct tree *t = ctx;

	return strcmp(t->n[*(const uint32_t *)a].name, t->n[*(const uint32_t *)b].name);
}

static void write_frame(FILE *f, const struct tree *t, uint32_t i,
			uint64_t x, unsigned rows)
{
	const struct node *n = &t->n[i];
	uint64_t total = t->n[0].value;
	double px = MARGIN + (double)x / total * GRAPH_W;
	double w = (double)n->value / total * GRAPH_W;
	double y = TOP_H + (double)(rows - 1 - n->depth) * ROW_H;
	char src[256], amt[96], fill[32];

	source(src, sizeof(src), n);
	amount(amt, sizeof(amt), t->kind, n->value, n->count);
	color(fill, sizeof(fill), t, n);
	fputs("<g class=\"f\" data-n=\"", f);
	xml_text(f, n->name, 0);
	if (src[0]) {
		fputs("\" data-s=\"", f);
		xml_text(f, src, 0);
	}
	fprintf(f, "\" data-x=\"%" PRIu64 "\" data-v=\"%" PRIu64 "\" data-c=\"%"
		PRIu64 "\" data-d=\"%u\"><title>", x, n->value, n->count, n->depth);
	xml_text(f, n->name, 0);
	if (src[0]) {
		fputs(" (", f);
		xml_text(f, src, 0);
		fputc(')', f);
	}
	fprintf(f, "&#10;%s, %.2f%%", amt, 100.0 * n->value / total);
	if (n->suspect_value)
		fputs(", growing", f);
	if (n->pre_value)
		fputs(n->pre_value == n->value ? ", held before attach" :
		      ", partly held before attach", f);
	fprintf(f, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
		"height=\"%d\" rx=\"2\" fill=\"%s\"/><text x=\"%.2f\" y=\"%.1f\">",
		px, y, w, ROW_H - 1, fill, px + 3, y + ROW_H - 4.5);
	write_label(f, n->name, w);
	fputs("</text></g>\n", f);
}

static void write_frames(FILE *f, const struct tree *t, uint32_t i,
			 uint64_t x, unsigned rows)
{
	const struct node *n = &t->n[i];
	uint32_t *kids;
	size_t nkids = 0;

	if (i && n->value < t->min_value)
		return;
	write_frame(f, t, i, x, rows);
	for (uint32_t c = n->first_child; c; c = t->n[c].next_sibling)
		nkids++;
	if (!nkids)
		return;
	kids = xcalloc(nkids, sizeof(*kids));
	nkids = 0;
	for (uint32_t c = n->first_child; c; c = t->n[c].next_sibling)
		kids[nkids++] = c;
	qsort_r(kids, nkids, sizeof(*kids), cmp_names, (void *)t);
	for (size_t k = 0; k < nkids; k++) {
		write_frames(f, t, kids[k], x, rows);
		x += t->n[kids[k]].value;
	}
	free(kids);
}

static void write_graph(FILE *f, const struct report *r, const struct tree *t,
			const struct svg_options *o, int index, unsigned rows)
{
	const struct node *root = &t->n[0];
	char who[256], amt[96];
	int k = t->kind;

	targets(who, sizeof(who), r, k);
	amount(amt, sizeof(amt), k, root->value, root->count);
	fprintf(f, "<g class=\"graph\" data-kind=\"%s\" data-unit=\"%s\" "
		"data-one=\"%s\" data-many=\"%s\"%s>\n", kind_name(k),
		kind_has_bytes(k) ? "bytes" : "count", kind_item_name(k, 1),
		kind_item_name(k, 2), index ? " style=\"display:none\"" : "");
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"24\">", SVG_WIDTH / 2);
	if (o->title) {
		xml_text(f, o->title, 0);
	} else {
		fprintf(f, "leakscope: %s (%s), %s, ", kind_name(k), kind_what(k),
			kind_has_bytes(k) ? "bytes" : "count");
		xml_text(f, who, 0);
		fprintf(f, ", %.1f s", r->duration_s);
	}
	fprintf(f, "</text>\n<text class=\"sub\" x=\"%d\" y=\"42\">", SVG_WIDTH / 2);
	if (root->value) {
		fprintf(f, "%s outstanding", amt);
		if (t->skipped)
			fprintf(f, "; %zu frame%s under %.1f%% not drawn", t->skipped,
				t->skipped == 1 ? "" : "s", SVG_MIN_SHARE * 100);
		if (r->lost_events)
			fprintf(f, "; %" PRIu64 " records lost%s", r->lost_events,
				r->resync.inexact ? ", counts inexact" :
				r->resync.runs ? ", counts re-read from /proc" : "");
		fputs(". Click: zoom. Search: highlight. Esc: reset. "
		      "Orange: growing; grey: held before attach.", f);
	} else {
		fprintf(f, "no %s outstanding", kind_item_name(k, 2));
	}
	fputs("</text>\n", f);
	if (root->value)
		write_frames(f, t, 0, 0, rows);
	fputs("</g>\n", f);
}

/*
 * The script is JavaScript in its own file (flamegraph.js), read, linted
 * and tested as such. The assembler copies it into this object with
 * .incbin: no tool beyond the compiler, no generated source, and a NUL
 * after it so it prints as a string. (xxd -i would need another package
 * and a generated file; ld -b binary names its symbols after the path.)
 * The path is from the top of the tree, where make runs; the Makefile
 * rebuilds svg.o when the script changes.
 */
extern const char ls_flamegraph_js[];
__asm__(".pushsection .rodata, \"a\"\n"
	".global ls_flamegraph_js\n"
	".hidden ls_flamegraph_js\n"
	".type ls_flamegraph_js, @object\n"
	"ls_flamegraph_js:\n"
	".incbin \"src/export/flamegraph.js\"\n"
	".byte 0\n"
	".size ls_flamegraph_js, . - ls_flamegraph_js\n"
	".popsection\n");

static const char style[] =
"text { font-family: monospace; font-size: 12px; fill: #111; }\n"
".title { font-size: 16px; font-weight: bold; text-anchor: middle; }\n"
".sub { font-size: 11px; fill: #555; text-anchor: middle; }\n"
".f { cursor: pointer; }\n"
".f text { pointer-events: none; }\n"
".f:hover rect { stroke: #222; stroke-width: 0.7; }\n"
".f.hl rect { fill: rgb(214,38,180); }\n"
".f.caller rect { opacity: 0.55; }\n"
".btn, .tab { cursor: pointer; fill: #1a4f8b; text-decoration: underline; }\n"
".tab.on { font-weight: bold; fill: #111; text-decoration: none; }\n"
"#matched { text-anchor: end; }\n";

int svg__write(FILE *f, const struct report *r, const struct svg_options *o)
{
	struct tree trees[KIND_MAX];
	size_t ntrees = 0;
	unsigned rows = 1;
	int height, x;

	for (int k = 0; k < KIND_MAX; k++) {
		bool any = false;

		if (o->kind_filter >= 0 && k != o->kind_filter)
			continue;
		for (size_t i = 0; i < r->nstacks && !any; i++)
			any = (int)r->stacks[i].kind == k && folded__weight(&r->stacks[i]);
		if (!any && o->kind_filter < 0)
			continue;
		build_tree(&trees[ntrees], r, k);
		measure(&trees[ntrees], 0);
		rows = MAX(rows, trees[ntrees].rows);
		ntrees++;
	}
	if (!ntrees)	/* no stacks at all: say so in a graph of the first kind */
		build_tree(&trees[ntrees++], r, report__first_traced_kind(r));
	height = TOP_H + (int)rows * ROW_H + BOTTOM_H;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(f, "<style>\n%s</style>\n", style);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fbfbf8\"/>\n",
		SVG_WIDTH, height);
	fprintf(f, "<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"62\" "
		"style=\"display:none\">Reset zoom</text>\n", MARGIN);
	fprintf(f, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"62\" "
		"text-anchor=\"end\">Search</text>\n", SVG_WIDTH - MARGIN);
	/* Tabs, centred: "mmap  brk  fd" */
	if (ntrees > 1) {
		int width = 0;

		for (size_t i = 0; i < ntrees; i++)
			width += (int)((strlen(kind_name(trees[i].kind)) + 3) * CHAR_W);
		x = SVG_WIDTH / 2 - width / 2;
		for (size_t i = 0; i < ntrees; i++) {
			fprintf(f, "<text class=\"tab%s\" data-i=\"%zu\" x=\"%d\" y=\"62\">%s</text>\n",
				i ? "" : " on", i, x, kind_name(trees[i].kind));
			x += (int)((strlen(kind_name(trees[i].kind)) + 3) * CHAR_W);
		}
	}
	for (size_t i = 0; i < ntrees; i++)
		write_graph(f, r, &trees[i], o, (int)i, rows);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", MARGIN,
		height - 10);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%d\"></text>\n",
		SVG_WIDTH - MARGIN, height - 10);
	fprintf(f, "<script type=\"text/ecmascript\"><![CDATA[\n"
		"var L = %d, W = %d, CW = %.1f;\n%s]]></script>\n</svg>\n",
		MARGIN, GRAPH_W, CHAR_W, ls_flamegraph_js);
	for (size_t i = 0; i < ntrees; i++)
		free_tree(&trees[i]);
	return ferror(f) ? -EIO : 0;
}
