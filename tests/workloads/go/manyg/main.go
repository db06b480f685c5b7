// SPDX-License-Identifier: MIT

// manyg parks N goroutines at once, for scripts/bench.sh to measure the
// collector's memory per outstanding goroutine. It prints "ready PID",
// waits for SIGUSR1, starts N goroutines that block on a channel, prints
// "parked N ns_per_create X", and exits on a second SIGUSR1 (or SIGTERM).
//
//	manyg N
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

var block = make(chan struct{})

//go:noinline
func parked() {
	<-block
}

//go:noinline
func park(n int) {
	for i := 0; i < n; i++ {
		go parked()
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: manyg N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "manyg: N must be a positive number")
		os.Exit(2)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGTERM)
	fmt.Println("ready", os.Getpid())
	<-ch
	start := time.Now()
	park(n)
	elapsed := time.Since(start)
	fmt.Printf("parked %d ns_per_create %.1f goroutines %d\n", n,
		float64(elapsed.Nanoseconds())/float64(n), runtime.NumGoroutine())
	<-ch
}
