// SPDX-License-Identifier: MIT

// cgoleaks: Go code calling C (cgo) that leaks 3 fds and one 64 KiB
// mapping in c_leak_site, called from main.goCallsC. A complete stack
// runs from the C code through runtime.asmcgocall into the goroutine.
// Prints "leaked" and waits for SIGTERM (or exits with -exit).
package main

/*
#include <fcntl.h>
#include <sys/mman.h>

__attribute__((noinline)) int c_leak_site(int n)
{
	int fd = -1;

	for (int i = 0; i < n; i++)
		fd = open("/etc/hostname", O_RDONLY);
	mmap(0, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return fd;
}
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

//go:noinline
func goCallsC() int { return int(C.c_leak_site(3)) }

func main() {
	exit := flag.Bool("exit", false, "exit after leaking")
	flag.Parse()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	goCallsC()
	fmt.Println("leaked")
	if !*exit {
		<-sigs
	}
}
