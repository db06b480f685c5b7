// SPDX-License-Identifier: MIT

// goleaks leaks goroutines and heap from functions with recognizable
// names, in known amounts, for leakscope's Go tests:
//
//	leakRecv      37 goroutines blocked receiving from a channel (-recv N)
//	leakSend      13 goroutines blocked sending on a channel
//	leakSelect     7 goroutines blocked in a select
//	leakSleep      5 goroutines sleeping for an hour
//	leakLock       4 goroutines blocked on a sync.Mutex
//	runAndFinish  50 goroutines that do some work and exit
//	keepHeap    2000 objects of 8 KiB kept in a global
//	churn            garbage, allocated and dropped
//
// It prints "ready", waits for SIGUSR1 (or starts at once with -now),
// leaks, optionally writes its own heap profile after two GCs
// (-heapprofile FILE: the ground truth for go_heap; it also prints
// "clock T0 T1", the runtime's monotonic clock before the first leak and
// after those GCs: every leaked goroutine's g.waitsince lies between),
// prints "leaked" and waits for SIGTERM (or exits with -exit).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
	_ "unsafe" // go:linkname
)

// The runtime's own clock, the one g.waitsince is read from.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var (
	never  = make(chan int) // nobody sends: receivers block
	full   = make(chan int) // nobody receives: senders block
	kept   [][]byte
	sink   []byte
	lockMu sync.Mutex
)

//go:noinline
func leakRecv(n int) {
	for i := 0; i < n; i++ {
		go func() { <-never }()
	}
}

//go:noinline
func leakSend(n int) {
	for i := 0; i < n; i++ {
		go func(v int) { full <- v }(i)
	}
}

//go:noinline
func leakSelect(n int) {
	other := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			select {
			case <-never:
			case <-other:
			}
		}()
	}
}

//go:noinline
func leakSleep(n int) {
	for i := 0; i < n; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
}

//go:noinline
func leakLock(n int) {
	lockMu.Lock() // held forever: everyone after waits
	for i := 0; i < n; i++ {
		go func() { lockMu.Lock() }()
	}
}

//go:noinline
func runAndFinish(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sink = make([]byte, 100+i)
		}(i)
	}
	wg.Wait()
}

//go:noinline
func keepHeap(n, size int) {
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, size))
	}
}

//go:noinline
func churn(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, 1024)
	}
}

func main() {
	now := flag.Bool("now", false, "start at once instead of waiting for SIGUSR1")
	exit := flag.Bool("exit", false, "exit after leaking instead of waiting for SIGTERM")
	heapProfile := flag.String("heapprofile", "", "write a heap profile here after leaking")
	rate := flag.Int("rate", -1, "set runtime.MemProfileRate (1: record every allocation)")
	recv := flag.Int("recv", 37, "goroutines leakRecv leaves blocked")
	flag.Parse()
	if *rate >= 0 {
		// GODEBUG=memprofilerate does not work in Go 1.19: the
		// variable's initializer runs after GODEBUG is parsed.
		runtime.MemProfileRate = *rate
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	fmt.Println("ready", os.Getpid())
	if !*now {
		<-sigs
	}
	t0 := nanotime()
	leakRecv(*recv)
	leakSend(13)
	leakSelect(7)
	leakSleep(5)
	leakLock(4)
	runAndFinish(50)
	keepHeap(2000, 8192)
	churn(5000)
	time.Sleep(100 * time.Millisecond) // let every goroutine block
	if *heapProfile != "" {
		runtime.GC()
		runtime.GC()
		fmt.Println("clock", t0, nanotime())
		f, err := os.Create(*heapProfile)
		if err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	fmt.Println("leaked", runtime.NumGoroutine())
	if !*exit {
		for s := range sigs {
			if s == syscall.SIGTERM {
				break
			}
		}
	}
}
