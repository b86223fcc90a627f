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
)

// refusal returns why ip may not be dialed ("loopback", "link-local" …), or
// "" when it is a public address.
func refusal(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		// A NAT64 address reaches the IPv4 address embedded in its last 32 bits.
		b := ip.As16()
		if r := refusal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); r != "" {
			return r
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
	case thisNet.Contains(ip), reserved4.Contains(ip):
		return "reserved"
	}
	return ""
}
