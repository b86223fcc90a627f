package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsWinOverEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	url := fs.String("nats-url", "", "")
	db := fs.String("database-url", "", "")
	env := map[string]string{"GATEHOUSE_NATS_URL": "nats://env", "GATEHOUSE_DATABASE_URL": "postgres://env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := Parse(fs, []string{"-nats-url", "nats://flag"}, lookup); err != nil {
		t.Fatal(err)
	}
	if *url != "nats://flag" || *db != "postgres://env" {
		t.Fatalf("got nats-url=%q database-url=%q", *url, *db)
	}
}

func TestParseReportsEveryBadVariable(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Int("workers", 1, "")
	fs.Duration("timeout", time.Second, "")
	env := map[string]string{"GATEHOUSE_WORKERS": "many", "GATEHOUSE_TIMEOUT": "soon"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := Parse(fs, nil, lookup)
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_WORKERS") || !strings.Contains(err.Error(), "GATEHOUSE_TIMEOUT") {
		t.Fatalf("want both variables named, got %v", err)
	}
}
