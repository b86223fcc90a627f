//go:build !wasip1

package gatehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// maxTestResponse caps the bodies HTTPFetch reads, as the worker does.
const maxTestResponse = 1 << 20

// HTTPFetch returns a TestHost.Fetch function that sends real HTTP requests
// with client (http.DefaultClient when nil), typically to an httptest server
// standing in for the external API. Unlike the worker, it does not refuse
// loopback or private addresses. A FormatJSON response whose body is not JSON
// is an error, as in the worker.
func HTTPFetch(client *http.Client) func(ctx context.Context, req abi.FetchRequest) (abi.FetchResponse, error) {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context, req abi.FetchRequest) (abi.FetchResponse, error) {
		var body io.Reader
		if req.Body != "" {
			body = strings.NewReader(req.Body)
		}
		hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
		if err != nil {
			return abi.FetchResponse{}, fmt.Errorf("build request: %w", err)
		}
		for k, v := range req.Headers {
			hr.Header.Set(k, v)
		}
		resp, err := client.Do(hr)
		if err != nil {
			return abi.FetchResponse{}, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxTestResponse+1))
		if err != nil {
			return abi.FetchResponse{}, fmt.Errorf("read response: %w", err)
		}
		if len(data) > maxTestResponse {
			return abi.FetchResponse{}, fmt.Errorf("response body exceeds %d bytes", maxTestResponse)
		}
		out := abi.FetchResponse{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header))}
		for k := range resp.Header {
			out.Headers[strings.ToLower(k)] = resp.Header.Get(k)
		}
		if req.ResponseFormat == FormatJSON {
			if !json.Valid(data) {
				return abi.FetchResponse{}, fmt.Errorf("response body (status %d) is not JSON", resp.StatusCode)
			}
			out.Data = data
		} else {
			out.Text = string(data)
		}
		return out, nil
	}
}
