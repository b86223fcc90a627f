// Command hostile is a test guest that misbehaves on request. It speaks the
// ABI directly, without the SDK, so that it can do what the SDK prevents.
// The event's "op" field chooses the behaviour.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"
)

var settings = []byte(`{"id":"hostile","trigger":"user:tokens_generation","failurePolicy":{"action":"continue"},"bindings":{"kinde.accessToken":{},"kinde.fetch":{}}}`)

//go:wasmimport gatehouse result_len
func resultLen() int32

//go:wasmimport gatehouse result_read
func resultRead(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse error
func hostError(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse log
func hostLog(level int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse get_env
func hostGetEnv(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse set_enforcement_policy
func hostSetEnforcementPolicy(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse set_claim
func hostSetClaim(token int32, namePtr unsafe.Pointer, nameLen int32, jsonPtr unsafe.Pointer, jsonLen int32) int32

//go:wasmimport gatehouse fetch
func hostFetch(ptr unsafe.Pointer, n int32) int32

func ptr(s string) (unsafe.Pointer, int32) {
	return unsafe.Pointer(unsafe.StringData(s)), int32(len(s))
}

//go:wasmexport gatehouse_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport gatehouse_settings
func exportSettings() int64 {
	return int64(uintptr(unsafe.Pointer(&settings[0])))<<32 | int64(len(settings))
}

var buf []byte

//go:wasmexport gatehouse_alloc
func alloc(n int32) int32 {
	buf = make([]byte, max(n, 1))
	return int32(uintptr(unsafe.Pointer(&buf[0])))
}

type event struct {
	Op  string `json:"op"`
	URL string `json:"url"`
	N   int    `json:"n"`
}

var hoard [][]byte

//go:wasmexport gatehouse_handle
func handle(p, n int32) int32 {
	var ev event
	if err := json.Unmarshal(buf[:n], &ev); err != nil {
		return fail("bad event: " + err.Error())
	}
	switch ev.Op {
	case "ok":
		log("ok")
	case "loop":
		for i := 0; ; i++ {
			if i < 0 {
				log("never")
			}
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "membomb":
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	case "panic":
		panic("boom")
	case "exit":
		os.Exit(3)
	case "spam":
		line := strings.Repeat("x", 99)
		for i := 0; i < ev.N/100; i++ {
			fmt.Println(line)
			log(line)
		}
	case "stderr":
		fmt.Fprint(os.Stderr, "partial line without newline")
	case "env":
		// Use an undeclared binding and ignore the error.
		rc := hostGetEnv(ptr("SECRET"))
		log(fmt.Sprintf("get_env returned %d: %s", rc, message()))
	case "mfa":
		// Use a binding that is not available for this trigger.
		rc := hostSetEnforcementPolicy(ptr("skip"))
		log(fmt.Sprintf("set_enforcement_policy returned %d: %s", rc, message()))
	case "badclaim":
		np, nn := ptr("x")
		vp, vn := ptr("{not json")
		rc := hostSetClaim(1, np, nn, vp, vn)
		log(fmt.Sprintf("set_claim returned %d: %s", rc, message()))
		vp, vn = ptr(`"ok"`)
		rc = hostSetClaim(9, np, nn, vp, vn)
		log(fmt.Sprintf("set_claim returned %d: %s", rc, message()))
	case "fetch":
		req, _ := json.Marshal(map[string]string{"url": ev.URL, "responseFormat": "json"})
		rc := hostFetch(ptr(string(req)))
		if rc < 0 {
			return fail(fmt.Sprintf("fetch returned %d: %s", rc, message()))
		}
		log(string(result(rc)))
	case "fetchmany":
		for i := 0; i < ev.N; i++ {
			req, _ := json.Marshal(map[string]string{"url": ev.URL})
			if rc := hostFetch(ptr(string(req))); rc < 0 {
				return fail(fmt.Sprintf("fetch %d returned %d: %s", i+1, rc, message()))
			}
		}
	case "badptr":
		rc := hostLog(1, unsafe.Pointer(uintptr(0x7fffff00)), 0x7ffff)
		log(fmt.Sprintf("log returned %d: %s", rc, message()))
	case "fail":
		return fail("workflow said no")
	default:
		return fail("unknown op " + ev.Op)
	}
	return 0
}

func log(s string) { hostLog(1, unsafe.Pointer(unsafe.StringData(s)), int32(len(s))) }

func fail(s string) int32 {
	hostError(unsafe.Pointer(unsafe.StringData(s)), int32(len(s)))
	return 1
}

func result(n int32) []byte {
	b := make([]byte, n)
	if n > 0 {
		resultRead(unsafe.Pointer(&b[0]), n)
	}
	return b
}

func message() string { return string(result(resultLen())) }

func main() {}
