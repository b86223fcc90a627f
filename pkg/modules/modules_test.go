package modules

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func testManager(log *[]string, failing string) *Manager {
	m := New(nil)
	mk := func(name string, internal bool, deps ...string) {
		m.Register(Module{Name: name, Internal: internal, Deps: deps, Start: func(context.Context) (func(context.Context) error, error) {
			if name == failing {
				return nil, errors.New("boom")
			}
			*log = append(*log, "start "+name)
			return func(context.Context) error { *log = append(*log, "stop "+name); return nil }, nil
		}})
	}
	mk("nats", true)
	mk("db", true)
	mk("deployments", false, "nats", "db")
	mk("worker", false, "nats")
	return m
}

func TestStartsDependenciesFirstAndStopsInReverse(t *testing.T) {
	var log []string
	m := testManager(&log, "")
	r, err := m.Start(context.Background(), "worker,deployments")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"start nats", "start worker", "start db", "start deployments",
		"stop deployments", "stop db", "stop worker", "stop nats"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("got %v\nwant %v", log, want)
	}
}

func TestWorkerAloneDoesNotStartTheDatabase(t *testing.T) {
	var log []string
	order, err := testManager(&log, "").Resolve("worker")
	if err != nil || !reflect.DeepEqual(order, []string{"nats", "worker"}) {
		t.Fatalf("order %v err %v", order, err)
	}
}

func TestUnknownAndInternalTargetsAreRefused(t *testing.T) {
	var log []string
	_, err := testManager(&log, "").Resolve("worker,frontdor,db")
	if err == nil || !strings.Contains(err.Error(), `"frontdor"`) || !strings.Contains(err.Error(), `"db"`) {
		t.Fatalf("want both bad targets named, got %v", err)
	}
}

func TestFailedStartStopsWhatStarted(t *testing.T) {
	var log []string
	_, err := testManager(&log, "deployments").Start(context.Background(), "all")
	if err == nil || !strings.Contains(err.Error(), "start deployments: boom") {
		t.Fatalf("err = %v", err)
	}
	want := []string{"start nats", "start db", "stop db", "stop nats"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("got %v want %v", log, want)
	}
}
