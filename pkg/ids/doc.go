// Package ids makes the prefixed, time-ordered identifiers Gatehouse uses
// (dep_…, exe_…, conn_…): a 48-bit millisecond timestamp and 80 random bits in
// lower-case hex, so they sort by creation time and never collide in practice.
package ids
