// Command noexports is a valid wasip1 reactor that is not a workflow.
package main

import "fmt"

func init() { fmt.Println("hello") }

func main() {}
