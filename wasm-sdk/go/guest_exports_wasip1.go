//go:build wasip1

package gatehouse

import (
	"unsafe"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// The guest half of ABI v1: the four exports the host calls. Export names
// must equal the abi.Export* constants (a native test checks this file).

// Buffers handed out by gatehouse_alloc since the last gatehouse_handle
// (live), and released ones kept for reuse (free).
var (
	liveBufs [][]byte
	freeBufs [][]byte
)

const (
	maxFreeBufs   = 4
	maxReusedSize = 1 << 20
)

//go:wasmexport gatehouse_abi_version
func guestABIVersion() int32 { return abi.Version }

//go:wasmexport gatehouse_settings
func guestSettings() int64 {
	w := registered
	if w == nil || len(w.settingsJSON) == 0 {
		return 0
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(w.settingsJSON)))
	return int64(p)<<32 | int64(len(w.settingsJSON))
}

//go:wasmexport gatehouse_alloc
func guestAlloc(size int32) uint32 {
	if size < 0 {
		return 0
	}
	n := int(size)
	var buf []byte
	for i, f := range freeBufs {
		if cap(f) >= n && cap(f) > 0 {
			buf = f[:max(n, 1)]
			last := len(freeBufs) - 1
			freeBufs[i] = freeBufs[last]
			freeBufs[last] = nil
			freeBufs = freeBufs[:last]
			break
		}
	}
	if buf == nil {
		buf = make([]byte, max(n, 1))
	}
	liveBufs = append(liveBufs, buf)
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport gatehouse_handle
func guestHandle(ptr uint32, size int32) int32 {
	defer releaseBufs()
	raw, ok := liveBuf(ptr, size)
	if !ok {
		reportError("gatehouse_handle: the event is not in a buffer returned by gatehouse_alloc")
		return abi.HandleError
	}
	w := registered
	if w == nil {
		reportError("no workflow registered: call gatehouse.Register from the workflow's init function")
		return abi.HandleError
	}
	if err := w.call(raw); err != nil {
		reportError(err.Error())
		return abi.HandleError
	}
	return abi.HandleOK
}

// liveBuf returns the first size bytes of the live buffer starting at ptr.
func liveBuf(ptr uint32, size int32) ([]byte, bool) {
	if size < 0 {
		return nil, false
	}
	for _, b := range liveBufs {
		if uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) == ptr && int(size) <= cap(b) {
			return b[:size], true
		}
	}
	return nil, false
}

// releaseBufs ends the validity of the live buffers, keeping a few small
// ones for the next event.
func releaseBufs() {
	for i, b := range liveBufs {
		if len(freeBufs) < maxFreeBufs && cap(b) <= maxReusedSize {
			freeBufs = append(freeBufs, b)
		}
		liveBufs[i] = nil
	}
	liveBufs = liveBufs[:0]
}

func reportError(msg string) {
	p, n := strArg(msg)
	hostError(p, n)
}
