package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Request is one outgoing request.
type Request struct {
	Method string // default GET
	URL    string
	Header http.Header
	Body   []byte
}

// Response is a fully read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Client performs workflow fetches. It is safe for concurrent use.
type Client struct {
	cfg    Config
	allow  allowList
	res    Resolver
	client *http.Client
}

// maxResponseHeaderBytes caps response headers.
const maxResponseHeaderBytes = 64 << 10

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	allow, _ := parseAllow(cfg.Allow)
	c := &Client{cfg: cfg, allow: allow, res: cfg.Resolver}
	if c.res == nil {
		c.res = net.DefaultResolver
	}
	tlsCfg := cfg.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	transport := &http.Transport{
		Proxy:                  nil, // never route through an environment proxy
		DialContext:            c.dial,
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    cfg.ConnectTimeout,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	c.client = &http.Client{
		Transport:     transport,
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() {
	c.client.CloseIdleConnections()
}

// Do sends req and reads the whole response body.
//
// # Errors
//
// Every error is an *Error wrapping ErrRefused, ErrResponseTooLarge,
// ErrTooManyRedirects, ErrTimeout, ErrBadRequest or ErrFailed.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, &Error{Dest: req.URL, Reason: "invalid URL: " + trimURLError(err), Err: ErrBadRequest}
	}
	if err := c.checkURL(u); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	method = strings.ToUpper(method)

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, &Error{Dest: u.Hostname(), Reason: "invalid request: " + err.Error(), Err: ErrBadRequest}
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "gatehouse-workflow")
	}

	resp, err := c.client.Do(hreq)
	if err != nil {
		return nil, c.classify(ctx, u.Hostname(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, c.classify(ctx, resp.Request.URL.Hostname(), err)
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return nil, &Error{
			Dest:   resp.Request.URL.Hostname(),
			Reason: fmt.Sprintf("response body exceeds the %d-byte limit", c.cfg.MaxResponseBytes),
			Err:    ErrResponseTooLarge,
		}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// checkURL refuses schemes other than https (and http when allowed).
func (c *Client) checkURL(u *url.URL) error {
	dest := u.Hostname()
	if dest == "" {
		dest = u.String()
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !c.cfg.AllowHTTP {
			return &Error{Dest: dest, Reason: "plain http refused (https required)", Err: ErrRefused}
		}
	default:
		return &Error{Dest: dest, Reason: fmt.Sprintf("scheme %q refused (https required)", u.Scheme), Err: ErrRefused}
	}
	if u.Hostname() == "" {
		return &Error{Dest: u.String(), Reason: "URL has no host", Err: ErrBadRequest}
	}
	if u.User != nil {
		return &Error{Dest: dest, Reason: "credentials in the URL are not allowed", Err: ErrBadRequest}
	}
	return nil
}

// checkRedirect limits redirects and re-checks the scheme of each; the
// address of each is checked when it is dialed.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return &Error{
			Dest:   via[0].URL.Hostname(),
			Reason: fmt.Sprintf("too many redirects (at most %d)", c.cfg.MaxRedirects),
			Err:    ErrTooManyRedirects,
		}
	}
	return c.checkURL(req.URL)
}

// dial resolves addr once, checks every resolved address and dials only
// addresses that passed, so DNS cannot rebind between check and connect.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &Error{Dest: addr, Reason: "invalid address", Err: ErrBadRequest}
	}
	port64, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &Error{Dest: host, Reason: "invalid port " + portStr, Err: ErrBadRequest}
	}
	port := uint16(port64)

	var ips []netip.Addr
	literal := false
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
		literal = true
	} else {
		rctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
		ips, err = c.res.LookupNetIP(rctx, "ip", host)
		cancel()
		if err != nil {
			return nil, &Error{Dest: host, Reason: "DNS lookup failed: " + dnsReason(err), Err: ErrFailed}
		}
		if len(ips) == 0 {
			return nil, &Error{Dest: host, Reason: "DNS lookup returned no addresses", Err: ErrFailed}
		}
	}

	var firstRefusal *Error
	var lastErr error
	for _, ip := range ips {
		ip = ip.Unmap()
		if why := refusal(ip); why != "" && !c.allow.permits(host, ip, port) {
			if firstRefusal == nil {
				reason := why + " address refused"
				if !literal {
					reason = fmt.Sprintf("%s address %s refused (after DNS resolution)", why, ip)
				}
				firstRefusal = &Error{Dest: host, Reason: reason, Err: ErrRefused}
			}
			continue
		}
		conn, err := c.dialChecked(ctx, network, host, ip, port)
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, firstRefusal
}

// dialChecked connects to ip:port. The dialer's Control hook checks the
// address actually being connected once more, as a last line of defence.
func (c *Client) dialChecked(ctx context.Context, network, host string, ip netip.Addr, port uint16) (net.Conn, error) {
	d := net.Dialer{
		Timeout: c.cfg.ConnectTimeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &Error{Dest: host, Reason: "unexpected dial address " + address, Err: ErrRefused}
			}
			if why := refusal(ap.Addr()); why != "" && !c.allow.permits(host, ap.Addr(), ap.Port()) {
				return &Error{Dest: host, Reason: why + " address refused", Err: ErrRefused}
			}
			return nil
		},
	}
	return d.DialContext(ctx, network, netip.AddrPortFrom(ip, port).String())
}

// classify turns a transport error into an *Error.
func (c *Client) classify(ctx context.Context, dest string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if ctx.Err() != nil || isTimeout(err) {
		return &Error{Dest: dest, Reason: fmt.Sprintf("timed out (limit %s)", c.cfg.Timeout), Err: ErrTimeout}
	}
	return &Error{Dest: dest, Reason: trimURLError(err), Err: ErrFailed}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// trimURLError drops the `Get "https://…": ` prefix of *url.Error, since the
// destination is already named.
func trimURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func dnsReason(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return "no such host"
		}
		return de.Err
	}
	return err.Error()
}
