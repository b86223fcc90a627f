// Command gatehouse is the one Gatehouse binary: `gatehouse serve` runs the
// platform (all services, or the targets you choose), `gatehouse wf` builds,
// tests and deploys workflows.
package main
