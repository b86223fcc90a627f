package egress

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client. The zero value is not valid: start from
// DefaultConfig.
type Config struct {
	// AllowHTTP permits plain http URLs. Off by default: workflows fetch over
	// https only. Tests and local development turn it on.
	AllowHTTP bool
	// Allow is the operator allow-list of destinations that would otherwise be
	// refused. An entry is either a CIDR ("10.20.0.0/16", "127.0.0.1/32"),
	// which permits every port of those addresses, or a host:port
	// ("127.0.0.1:8443", "billing.internal:443"), which permits that port of
	// that address or of whatever that hostname resolves to.
	Allow []string
	// ConnectTimeout bounds each TCP connect and TLS handshake.
	ConnectTimeout time.Duration
	// Timeout bounds a whole request: connect, redirects, headers and body.
	Timeout time.Duration
	// MaxResponseBytes caps the response body. A larger body is an error,
	// never silently truncated.
	MaxResponseBytes int64
	// MaxRedirects is how many redirects a request may follow (0: none).
	MaxRedirects int
	// Resolver resolves hostnames. Nil means net.DefaultResolver.
	Resolver Resolver
	// TLS is the TLS client configuration (nil: system roots, TLS 1.2+).
	TLS *tls.Config
}

// Resolver resolves a hostname to addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultConfig returns the production defaults: https only, 5s connect,
// 10s total, 1 MiB responses, 3 redirects, no allow-list.
func DefaultConfig() Config {
	return Config{
		ConnectTimeout:   5 * time.Second,
		Timeout:          10 * time.Second,
		MaxResponseBytes: 1 << 20,
		MaxRedirects:     3,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.ConnectTimeout <= 0 {
		return fmt.Errorf("egress: connect timeout must be positive, got %s", c.ConnectTimeout)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("egress: timeout must be positive, got %s", c.Timeout)
	}
	if c.MaxResponseBytes <= 0 {
		return fmt.Errorf("egress: max response bytes must be positive, got %d", c.MaxResponseBytes)
	}
	if c.MaxRedirects < 0 {
		return fmt.Errorf("egress: max redirects must not be negative, got %d", c.MaxRedirects)
	}
	_, err := parseAllow(c.Allow)
	return err
}

// allowList is the parsed Config.Allow.
type allowList struct {
	prefixes []netip.Prefix
	hosts    []hostPort // lower-case host, port
}

type hostPort struct {
	host string
	port uint16
}

func parseAllow(entries []string) (allowList, error) {
	var a allowList
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return allowList{}, fmt.Errorf("egress: allow-list entry %q is not a CIDR: %w", e, err)
			}
			a.prefixes = append(a.prefixes, p.Masked())
			continue
		}
		host, portStr, err := net.SplitHostPort(e)
		if err != nil || host == "" {
			return allowList{}, fmt.Errorf("egress: allow-list entry %q is neither a CIDR nor host:port", e)
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 {
			return allowList{}, fmt.Errorf("egress: allow-list entry %q has an invalid port", e)
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			host = ip.Unmap().String()
		}
		a.hosts = append(a.hosts, hostPort{host: strings.ToLower(host), port: uint16(port)})
	}
	return a, nil
}

// permits reports whether the allow-list lets host (as written in the URL)
// reach ip on port.
func (a allowList) permits(host string, ip netip.Addr, port uint16) bool {
	ip = ip.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if len(a.hosts) == 0 {
		return false
	}
	ipStr := ip.String()
	for _, h := range a.hosts {
		if h.port == port && (h.host == ipStr || strings.EqualFold(h.host, host)) {
			return true
		}
	}
	return false
}
