package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Response formats for FetchOptions.ResponseFormat.
const (
	// FormatJSON asks the host to parse the body as JSON into FetchResponse.Data.
	FormatJSON = "json"
	// FormatText returns the body as FetchResponse.Text (the default).
	FormatText = "text"
)

// FetchOptions describes an outgoing HTTP request.
type FetchOptions struct {
	// Method defaults to GET for Fetch and POST for SecureFetch.
	Method string
	// Headers are sent as given.
	Headers map[string]string
	// Body is the request body; see JSONBody.
	Body string
	// ResponseFormat is FormatJSON or FormatText (default). With FormatJSON a
	// body that is not JSON fails the call, whatever the status; when error
	// responses may not be JSON, use FormatText, check Status, then call
	// FetchResponse.JSON.
	ResponseFormat string
}

// FetchResponse is the answer to a fetch. A non-2xx status is not an error.
type FetchResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	// Data is the parsed body when the request asked for FormatJSON.
	Data json.RawMessage `json:"data,omitempty"`
	// Text is the body otherwise.
	Text string `json:"text,omitempty"`
}

// JSON decodes the body (Data, or Text when Data is empty) into v.
func (r *FetchResponse) JSON(v any) error {
	body := []byte(r.Data)
	if len(body) == 0 {
		body = []byte(r.Text)
	}
	if len(body) == 0 {
		return errors.New("fetch response: empty body")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("fetch response: decode JSON body: %w", err)
	}
	return nil
}

// JSONBody encodes v as a JSON request body. It returns "null" for a value
// that cannot be encoded (a channel, a function…).
func JSONBody(v any) string {
	js, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(js)
}

// Fetch sends an HTTP request through the host. The host allows https URLs
// only and refuses private, loopback and link-local destinations unless the
// operator allow-lists them; it also enforces a timeout, a response size cap
// and a per-run call limit. Binding kinde.fetch.
func Fetch(url string, opts *FetchOptions) (*FetchResponse, error) {
	return fetch(abi.BindingFetch, false, url, opts)
}

// SecureFetch is Fetch with the request body encrypted with the workflow's
// active encryption key (AES-256-GCM; see the encryption key documentation
// for the receiving side). Method defaults to POST. Binding kinde.secureFetch.
func SecureFetch(url string, opts *FetchOptions) (*FetchResponse, error) {
	return fetch(abi.BindingSecureFetch, true, url, opts)
}

func fetch(b abi.Binding, secure bool, url string, opts *FetchOptions) (*FetchResponse, error) {
	req := abi.FetchRequest{URL: url}
	if opts != nil {
		req.Method = opts.Method
		req.Headers = opts.Headers
		req.Body = opts.Body
		req.ResponseFormat = opts.ResponseFormat
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return nil, bindingError(b, abi.StatusInvalidArgument, fmt.Sprintf("encode request for %s: %v", url, err))
	}
	respJSON, err := sysFetch(secure, reqJSON)
	if err != nil {
		return nil, err
	}
	resp := new(FetchResponse)
	if err := json.Unmarshal(respJSON, resp); err != nil {
		return nil, bindingError(b, abi.StatusInternal, fmt.Sprintf("response from %s: host returned invalid JSON: %v", url, err))
	}
	return resp, nil
}
