package engine

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// maxFetchRequestBytes caps the FetchRequest JSON (URL, headers and body).
const maxFetchRequestBytes = 1 << 20

// Fetch outcomes (label "outcome" of gatehouse_worker_fetch_calls_total).
const (
	fetchOK       = "ok"
	fetchRefused  = "refused"
	fetchTooLarge = "too_large"
	fetchTimeout  = "timeout"
	fetchFailed   = "failed"
	fetchLimit    = "call_limit"
	fetchInvalid  = "invalid"
)

func hostFetch(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitFetch, abi.BindingFetch); !ok {
		return rc
	}
	return st.doFetch(mem, stack, false)
}

func hostSecureFetch(st *execState, mem api.Memory, stack []uint64) int32 {
	if rc, ok := st.gate(bitSecureFetch, abi.BindingSecureFetch); !ok {
		return rc
	}
	if st.m.e.cfg.SecureFetch == nil {
		return st.fail(abi.StatusNotImplemented, "kinde.secureFetch is not served by this worker yet")
	}
	return st.doFetch(mem, stack, true)
}

// doFetch runs a fetch or secure_fetch call through the egress client.
func (st *execState) doFetch(mem api.Memory, stack []uint64, secure bool) int32 {
	e := st.m.e
	binding := abi.BindingFetch
	if secure {
		binding = abi.BindingSecureFetch
	}
	if st.fetchCalls >= e.limits.MaxFetchCalls {
		e.metrics.fetched(fetchLimit)
		return st.failf(abi.StatusLimitExceeded, "%s: at most %d fetch calls per execution", binding, e.limits.MaxFetchCalls)
	}
	st.fetchCalls++
	if uint32(stack[1]) > maxFetchRequestBytes {
		e.metrics.fetched(fetchInvalid)
		return st.failf(abi.StatusLimitExceeded, "%s: the request is %d bytes, over the %d-byte limit", binding, uint32(stack[1]), maxFetchRequestBytes)
	}
	raw, rc, ok := st.readArg(mem, stack[0], stack[1], string(binding)+" request")
	if !ok {
		e.metrics.fetched(fetchInvalid)
		return rc
	}
	var req abi.FetchRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		e.metrics.fetched(fetchInvalid)
		return st.failf(abi.StatusInvalidArgument, "%s: the request is not valid JSON: %v", binding, err)
	}
	switch req.ResponseFormat {
	case "", "text", "json":
	default:
		e.metrics.fetched(fetchInvalid)
		return st.failf(abi.StatusInvalidArgument, "%s: responseFormat %q is neither \"json\" nor \"text\"", binding, req.ResponseFormat)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
		if secure {
			method = http.MethodPost
		}
	}
	body := []byte(req.Body)
	if secure {
		sealed, err := e.cfg.SecureFetch.EncryptBody(st.hostCtx(), st.run.Env, st.m.settings.ID, body)
		if err != nil {
			e.metrics.fetched(fetchFailed)
			return st.failf(abi.StatusFetchFailed, "%s: the body could not be encrypted: %v", binding, err)
		}
		body = sealed
	}
	header := make(http.Header, len(req.Headers))
	for k, v := range req.Headers {
		header.Set(k, v)
	}

	resp, err := e.fetch.Do(st.hostCtx(), egress.Request{Method: method, URL: req.URL, Header: header, Body: body})
	if err != nil {
		status, outcome := abi.StatusFetchFailed, fetchFailed
		switch {
		case errors.Is(err, egress.ErrRefused):
			outcome = fetchRefused
		case errors.Is(err, egress.ErrTimeout):
			outcome = fetchTimeout
		case errors.Is(err, egress.ErrResponseTooLarge):
			status, outcome = abi.StatusLimitExceeded, fetchTooLarge
		case errors.Is(err, egress.ErrBadRequest):
			status, outcome = abi.StatusInvalidArgument, fetchInvalid
		}
		e.metrics.fetched(outcome)
		return st.fail(status, err.Error())
	}

	out := abi.FetchResponse{Status: resp.Status, Headers: make(map[string]string, len(resp.Header))}
	for k, vs := range resp.Header {
		out.Headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	if req.ResponseFormat == "json" {
		if !json.Valid(resp.Body) {
			e.metrics.fetched(fetchInvalid)
			return st.failf(abi.StatusFetchFailed, "fetch to %s: the response (status %d) is not valid JSON, but responseFormat is \"json\"", hostOf(req.URL), resp.Status)
		}
		out.Data = resp.Body
	} else {
		out.Text = string(resp.Body)
	}
	js, err := json.Marshal(out)
	if err != nil {
		e.metrics.fetched(fetchFailed)
		return st.failf(abi.StatusInternal, "%s: encode the response: %v", binding, err)
	}
	e.metrics.fetched(fetchOK)
	return st.result(js)
}

// hostOf returns the host of a URL for messages.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return raw
}
