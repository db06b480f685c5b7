// SPDX-License-Identifier: MIT

// goexec: a Go program that becomes another program. It leaves 5
// goroutines blocked (created by main.park), prints "ready PID", waits
// for SIGUSR1 and execs its arguments (a C program, say): a tracer must
// then forget the Go runtime it knew and trace the new image.
// Usage: goexec PROG ARGS...
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

//go:noinline
func park(n int) {
	block := make(chan int)
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
}

func main() {
	park(5)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	fmt.Println("ready", os.Getpid())
	<-sigs
	signal.Reset()
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(127)
}
