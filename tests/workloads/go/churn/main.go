// SPDX-License-Identifier: MIT

// churn is the Go workload of scripts/bench.sh: goroutine lifecycles or
// heap allocations in a tight loop, timed. With -wait it prints
// "ready PID" and starts only on SIGUSR1, so a tracer can attach first.
//
//	churn [-wait] [-rate R] goroutines N   spawn and finish N goroutines
//	churn [-wait] [-rate R] alloc N        make N 64-byte heap objects
//
// It prints "ns_per_op X" (one op = one goroutine lifecycle or one
// allocation). -rate sets runtime.MemProfileRate (1: every allocation is
// a profiler sample, so each reaches runtime.profilealloc).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Goroutines are started in batches and waited for, so at most batch
// are alive at once: every lifecycle is a create and an exit.
const batch = 100

//go:noinline
func finish(wg *sync.WaitGroup) {
	wg.Done()
}

//go:noinline
func spawnAndFinish(n int) {
	var wg sync.WaitGroup

	for i := 0; i < n; i += batch {
		wg.Add(batch)
		for j := 0; j < batch; j++ {
			go finish(&wg)
		}
		wg.Wait()
	}
}

var sink []byte

//go:noinline
func allocate(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, 64)
	}
}

func main() {
	wait := flag.Bool("wait", false, "print \"ready PID\" and start on SIGUSR1")
	rate := flag.Int("rate", -1, "runtime.MemProfileRate (-1: leave it)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: churn [-wait] [-rate R] goroutines|alloc N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(flag.Arg(1))
	if err != nil || n < batch {
		fmt.Fprintln(os.Stderr, "churn: N must be a number >=", batch)
		os.Exit(2)
	}
	n = n / batch * batch
	var op func(int)
	switch flag.Arg(0) {
	case "goroutines":
		op = spawnAndFinish
	case "alloc":
		op = allocate
	default:
		fmt.Fprintln(os.Stderr, "churn: unknown workload", flag.Arg(0))
		os.Exit(2)
	}
	if *rate >= 0 {
		runtime.MemProfileRate = *rate
	}
	if *wait {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1)
		fmt.Println("ready", os.Getpid())
		<-ch
	}
	op(n / 10 / batch * batch) // warm up
	start := time.Now()
	op(n)
	elapsed := time.Since(start)
	fmt.Printf("ns_per_op %.1f\n", float64(elapsed.Nanoseconds())/float64(n))
	// keeps runtime.MemProfile linked, so the linker leaves profiling on
	var records [1]runtime.MemProfileRecord
	runtime.MemProfile(records[:], true)
}
