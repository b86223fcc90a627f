package egress

import (
	"net/netip"
	"testing"
)

func TestRefusalRanges(t *testing.T) {
	cases := []struct {
		ip   string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"fe80::1", "link-local"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.254", "shared (CGNAT)"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "reserved"},
		{"224.0.0.1", "link-local"}, // link-local multicast
		{"239.1.2.3", "multicast"},
		{"ff02::1", "link-local"},
		{"ff0e::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"64:ff9b::a00:1", "private (embedded in 64:ff9b::a00:1)"}, // NAT64 of 10.0.0.1
		{"64:ff9b:1:7f00:0:100::", "loopback (embedded in 64:ff9b:1:7f00:0:100::)"}, // local-use NAT64 of 127.0.0.1
		{"2002:a9fe:a9fe::1", "link-local (embedded in 2002:a9fe:a9fe::1)"},         // 6to4 of 169.254.169.254
		{"::7f00:1", "loopback (embedded in ::7f00:1)"},                             // IPv4-compatible 127.0.0.1
		{"fec0::1", "reserved"},
		{"198.18.0.1", "reserved"},
		{"192.0.0.8", "reserved"},
		{"2002:808:808::1", ""}, // 6to4 of a public address
		// Public addresses.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},
	}
	for _, c := range cases {
		if got := refusal(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("refusal(%s) = %q, want %q", c.ip, got, c.want)
		}
	}
}

func TestAllowList(t *testing.T) {
	a, err := parseAllow([]string{"10.1.0.0/16", "127.0.0.1:8443", "Billing.Internal:443", "::1/128"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		host string
		ip   string
		port uint16
		want bool
	}{
		{"10.1.2.3", "10.1.2.3", 80, true},
		{"10.2.0.1", "10.2.0.1", 80, false},
		{"127.0.0.1", "127.0.0.1", 8443, true},
		{"127.0.0.1", "127.0.0.1", 8444, false},
		{"localhost", "127.0.0.1", 8443, true}, // entry names the address
		{"billing.internal", "192.168.5.5", 443, true},
		{"billing.internal", "192.168.5.5", 80, false},
		{"other.internal", "192.168.5.5", 443, false},
		{"::1", "::1", 9, true},
	}
	for _, c := range cases {
		if got := a.permits(c.host, netip.MustParseAddr(c.ip), c.port); got != c.want {
			t.Errorf("permits(%s, %s, %d) = %v, want %v", c.host, c.ip, c.port, got, c.want)
		}
	}
}

func TestAllowListRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "host:0", "host:http", ":443"} {
		if _, err := parseAllow([]string{bad}); err == nil {
			t.Errorf("parseAllow(%q) accepted an invalid entry", bad)
		}
	}
}
