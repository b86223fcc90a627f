package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// setClaimModule returns a tokens_generation module whose handler calls
// set_claim(access token, name, value) n times. The name is the two bytes
// at dataAt; with distinct, they spell the iteration number ("aa", "ba", …).
func setClaimModule(n int64, value string, distinct bool) []byte {
	r := rawModule{version: 1, settings: rawSettings("user:tokens_generation", "kinde.accessToken"),
		hostFns: []rawImport{{abi.FnSetClaim, 5}}, data: "su" + value, handleLocals: 1}
	var name []byte
	if distinct {
		digit := func(at int64, op byte) []byte {
			return code(i32c(at), []byte{opLocalGet, 2}, i32c(26), []byte{op}, i32c('a'), []byte{opI32Add, 0x3a, 0, 0}) // i32.store8
		}
		name = code(digit(dataAt, 0x70), digit(dataAt+1, 0x6e)) // i32.rem_u, i32.div_u
	}
	set := code(name, i32c(abi.TokenAccess), i32c(dataAt), i32c(2), i32c(dataAt+2), i32c(int64(len(value))),
		call(r.hostIndex(0)), []byte{opDrop})
	r.handleCode = code(repeat(2, n, set), i32c(0))
	return r.bytes()
}

// A workflow setting a reserved claim in a loop gets one DroppedClaims entry
// and one warning, not one per call.
func TestReservedClaimIsReportedOnce(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, setClaimModule(10000, `"x"`, false)) // "su" is not reserved; see below
	wantOK(t, run(e, m, `{}`))

	// "sub" is reserved on the access token.
	r := rawModule{version: 1, settings: rawSettings("user:tokens_generation", "kinde.accessToken"),
		hostFns: []rawImport{{abi.FnSetClaim, 5}}, data: "sub1", handleLocals: 1}
	set := code(i32c(abi.TokenAccess), i32c(dataAt), i32c(3), i32c(dataAt+3), i32c(1), call(r.hostIndex(0)), []byte{opDrop})
	r.handleCode = code(repeat(2, 10000, set), i32c(0))
	m = compile(t, e, r.bytes())
	d := run(e, m, `{}`)
	wantOK(t, d)
	if !slices.Equal(d.DroppedClaims, []string{"accessToken:sub"}) {
		t.Fatalf("DroppedClaims has %d entries (%v…), want one", len(d.DroppedClaims), d.DroppedClaims[:min(3, len(d.DroppedClaims))])
	}
	if len(d.Console) != 1 || !strings.Contains(d.Console[0].Text, `claim "sub" is reserved on the access token and was dropped`) {
		t.Fatalf("console has %d lines, want one warning", len(d.Console))
	}
}

func TestClaimCountAndSizeAreCapped(t *testing.T) {
	e := newEngine(t, nil)
	total := func(claims map[string][]byte) int {
		n := 0
		for k, v := range claims {
			n += len(k) + len(v)
		}
		return n
	}
	raw := func(d api.Decision) map[string][]byte {
		c := make(map[string][]byte)
		for k, v := range d.AccessTokenClaims {
			c[k] = v
		}
		return c
	}

	// 100 small claims: the first 64 are kept.
	d := run(e, compile(t, e, setClaimModule(100, `1`, true)), `{}`)
	wantOK(t, d)
	if n := len(d.AccessTokenClaims); n != maxClaimsPerToken {
		t.Fatalf("%d claims kept, want %d: %v %v", n, maxClaimsPerToken, d.AccessTokenClaims, d.Console)
	}

	// 100 claims of 16000 bytes each: the total stops at 64 KiB.
	big := `"` + strings.Repeat("x", 15998) + `"`
	d = run(e, compile(t, e, setClaimModule(100, big, true)), `{}`)
	wantOK(t, d)
	if n, sum := len(d.AccessTokenClaims), total(raw(d)); n != 4 || sum > maxClaimBytesTotal {
		t.Fatalf("%d claims of %d bytes in all kept, want 4 within %d bytes", n, sum, maxClaimBytesTotal)
	}
}

// Host error messages may quote guest arguments; they are bounded, and so is
// what a pooled instance keeps of them.
func TestHostErrorsAreBounded(t *testing.T) {
	e := newEngine(t, nil)
	const n = 1 << 20
	r := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "kinde.mfa"), memPages: 64,
		hostFns: []rawImport{{abi.FnSetEnforcementPolicy, 4}, {abi.FnMFAFactors, 6}, {abi.FnResultLen, 1}}}
	fill := code(i32c(65536), i32c(1), i32c(n), []byte{0xfc, 11, 0}) // 1 MiB of control bytes
	// The handler returns the length of the error message it got.
	policy := code(i32c(65536), i32c(n), call(r.hostIndex(0)), []byte{opDrop}, call(r.hostIndex(2)))
	r.handleCode = code(fill, policy)
	m := compile(t, e, r.bytes())
	d := run(e, m, `{}`)
	if d.Error == nil {
		t.Fatal("the handler returned 0, want the message length")
	}
	var got int
	if _, err := fmt.Sscanf(d.Error.Message, "gatehouse_handle returned %d", &got); err != nil || got <= 0 || got > maxErrorMessageBytes {
		t.Fatalf("the error message for a 1 MiB policy is %d bytes (%q), want at most %d", got, d.Error.Message, maxErrorMessageBytes)
	}

	// mfa_factors refuses a large argument before parsing it.
	r.handleCode = code(fill, i32c(abi.FactorsChallenge), i32c(65536), i32c(n), call(r.hostIndex(1)))
	d = run(e, compile(t, e, r.bytes()), `{}`)
	wantError(t, d, api.ErrCodeWorkflow, "gatehouse_handle returned -5") // StatusLimitExceeded

	// Whatever the message, fail cuts it without splitting a character.
	var st execState
	st.fail(abi.StatusInvalidArgument, strings.Repeat("é", 10000))
	if len(st.pending) > maxErrorMessageBytes || !utf8.Valid(st.pending) {
		t.Fatalf("pending is %d bytes, valid UTF-8 %v", len(st.pending), utf8.Valid(st.pending))
	}
	// reset releases a large result buffer (a big fetch response).
	st.pending = make([]byte, 0, 2*maxKeptBuffer)
	st.reset(nil, Run{}, 1024)
	if cap(st.pending) > maxKeptBuffer {
		t.Fatalf("reset kept a %d-byte buffer", cap(st.pending))
	}
}

// An instance whose memory grew past half the limit is not pooled: it would
// hold that memory while idle.
func TestLargeInstanceIsNotPooled(t *testing.T) {
	e := newEngine(t, nil) // 1024 pages
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), memPages: 600}.bytes())
	wantOK(t, run(e, m, `{}`))
	if s := e.Stats(); s.IdleInstances != 0 || s.Discards != 2 {
		t.Fatalf("stats = %+v, want both instances discarded", s)
	}
	small := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), memPages: 500}.bytes())
	wantOK(t, run(e, small, `{}`))
	if s := e.Stats(); s.IdleInstances != 1 {
		t.Fatalf("stats = %+v, want the small instance pooled", s)
	}
}

// A warm instance that ran for one environment never runs for another: a
// workflow could otherwise keep one environment's secrets in its memory and
// log them in the next.
func TestPoolsAreSeparatedByEnvironment(t *testing.T) {
	e := newEngine(t, nil)
	// The handler counts its runs in memory and fails from the second on.
	count := code(i32c(dataAt), i32c(dataAt), []byte{0x28, 2, 0}, i32c(1), []byte{opI32Add, 0x36, 2, 0}, // count++
		i32c(dataAt), []byte{0x28, 2, 0}, i32c(1), []byte{0x6b}) // return count-1
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handleCode: count}.bytes())
	runIn := func(env string) api.Decision {
		return e.Execute(context.Background(), m, Run{Env: env, Event: []byte(`{}`)})
	}
	wantOK(t, runIn("env-a")) // the instance Compile made, now bound to env-a
	wantOK(t, runIn("env-b")) // a new instance
	wantError(t, runIn("env-a"), api.ErrCodeWorkflow, "the workflow failed without a message")
	wantError(t, runIn("env-b"), api.ErrCodeWorkflow, "the workflow failed without a message")
	if s := e.Stats(); s.Instantiations != 2 || s.IdleInstances != 2 {
		t.Fatalf("stats = %+v, want one warm instance per environment", s)
	}
	e.Drop(m.SHA256())
	if s := e.Stats(); s.IdleInstances != 0 || s.Discards != 2 {
		t.Fatalf("stats after Drop = %+v", s)
	}
}
