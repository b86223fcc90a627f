package egress

import (
	"net/netip"
)

// special address ranges a workflow may not reach without an allow-list entry.
var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")
	reserved4  = netip.MustParsePrefix("240.0.0.0/4")
	broadcast4 = netip.MustParseAddr("255.255.255.255")
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215 local-use NAT64
	sixToFour  = netip.MustParsePrefix("2002::/16")      // 6to4: an IPv4 address in bits 16-48
	v4Compat   = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible (::a.b.c.d)
	siteLocal  = netip.MustParsePrefix("fec0::/10")      // deprecated site-local
	benchmark4 = netip.MustParsePrefix("198.18.0.0/15")  // RFC 2544 benchmarking
	ietf4      = netip.MustParsePrefix("192.0.0.0/24")   // IETF protocol assignments
)

// embedded returns the IPv4 address an IPv6 address carries by design
// (NAT64, 6to4, IPv4-compatible), so it can be checked too.
func embedded(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip), v4Compat.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case nat64Local.Contains(ip):
		// RFC 6052 with a /48 prefix: the IPv4 address sits in bytes 6-7 and 9-10.
		return netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]}), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// refusal returns why ip may not be dialed ("loopback", "link-local" …), or
// "" when it is a public address.
func refusal(ip netip.Addr) string {
	ip = ip.Unmap()
	if v4, ok := embedded(ip); ok {
		if r := refusal(v4); r != "" {
			return r + " (embedded in " + ip.String() + ")"
		}
	}
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip == broadcast4:
		return "broadcast"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate():
		return "private"
	case cgnat.Contains(ip):
		return "shared (CGNAT)"
	case thisNet.Contains(ip), reserved4.Contains(ip), benchmark4.Contains(ip), ietf4.Contains(ip), siteLocal.Contains(ip):
		return "reserved"
	}
	return ""
}
