package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// maxIDLength bounds record ids: they are the primary key.
const maxIDLength = 200

// rejection is why a message can never be stored.
type rejection struct {
	reason string // a rejected_total label
	detail string
}

func (r *rejection) Error() string { return r.reason + ": " + r.detail }

func reject(reason, format string, args ...any) *rejection {
	return &rejection{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// decodeRecord parses and checks the record in a message published on
// subject. published is when the stream stored it: the record's time when it
// has none.
func decodeRecord(subject string, data []byte, published time.Time) (api.Record, *rejection) {
	var r api.Record
	if err := json.Unmarshal(data, &r); err != nil {
		return r, reject(rejectInvalidJSON, "record on %s is not valid JSON: %v", subject, err)
	}
	return r, checkRecord(subject, &r, published)
}

// decodeMessage parses a stream message: one record (a JSON object) or
// several (a JSON array, as the publisher packs them under load). fatal is
// set when nothing in the message can be read; rejected lists the records
// that fail their checks, kept apart from the good ones.
func decodeMessage(subject string, data []byte, published time.Time) (recs []api.Record, rejected []*rejection, fatal *rejection) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		r, rej := decodeRecord(subject, data, published)
		if rej != nil {
			return nil, nil, rej
		}
		return []api.Record{r}, nil, nil
	}
	var all []api.Record
	if err := json.Unmarshal(trimmed, &all); err != nil {
		return nil, nil, reject(rejectInvalidJSON, "records on %s are not valid JSON: %v", subject, err)
	}
	if len(all) == 0 {
		return nil, nil, reject(rejectInvalidJSON, "an empty array of records on %s", subject)
	}
	for i := range all {
		if rej := checkRecord(subject, &all[i], published); rej != nil {
			rejected = append(rejected, rej)
			continue
		}
		recs = append(recs, all[i])
	}
	if len(recs) == 0 {
		return nil, nil, rejected[0]
	}
	return recs, rejected, nil
}

// checkRecord checks a parsed record against the subject it came on and
// fills its time from published when it has none.
func checkRecord(subject string, r *api.Record, published time.Time) *rejection {
	if !r.Kind.Valid() {
		return reject(rejectUnknownKind, "record %q on %s has unknown kind %q (want runtime, build or sync)", r.ID, subject, r.Kind)
	}
	kind, env, ok := api.ParseRecordSubject(subject)
	if !ok || kind != r.Kind || env != r.Env {
		return reject(rejectSubjectMismatch, "record %q of kind %s in environment %q was published on %s, not %s",
			r.ID, r.Kind, r.Env, subject, api.RecordSubject(r.Kind, r.Env))
	}
	if err := envname.Validate(r.Env); err != nil {
		return reject(rejectInvalidEnv, "record %q on %s: %v", r.ID, subject, err)
	}
	if r.ID == "" {
		return reject(rejectMissingID, "record on %s has no id", subject)
	}
	if err := checkID(r.ID); err != nil {
		return reject(rejectInvalidID, "record on %s: %v", subject, err)
	}
	if r.Outcome != "" && (r.Kind != api.KindRuntime || !r.Outcome.Valid()) {
		return reject(rejectInvalidOutcome, "record %q of kind %s has invalid outcome %q", r.ID, r.Kind, r.Outcome)
	}
	if r.Time.IsZero() {
		r.Time = published
	}
	r.Time = r.Time.UTC()
	sanitize(r)
	return nil
}

// checkID accepts printable ids of at most maxIDLength bytes.
func checkID(id string) error {
	if len(id) > maxIDLength {
		return fmt.Errorf("record id is %d bytes long, more than %d", len(id), maxIDLength)
	}
	if i := strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }); i >= 0 {
		return fmt.Errorf("record id %q has a control or invalid character at byte %d", id, i)
	}
	return nil
}

// sanitize replaces NUL characters, which PostgreSQL text and jsonb cannot
// hold, in every free-text field: a console line may contain anything.
func sanitize(r *api.Record) {
	for _, p := range []*string{&r.WorkflowID, &r.DeploymentID, &r.Level, &r.Message, &r.Trigger} {
		*p = clean(*p)
	}
	if s := r.Summary; s != nil {
		for _, p := range []*string{&s.Denied, &s.MFAPolicy, &s.PlanDenied, &s.FailurePolicy} {
			*p = clean(*p)
		}
		for _, list := range [][]string{s.AccessTokenClaims, s.IDTokenClaims, s.M2MTokenClaims,
			s.DroppedClaims, s.ChallengeWith, s.EnrollWith} {
			for i := range list {
				list[i] = clean(list[i])
			}
		}
		if hasNUL(s.FormErrors) {
			fe := make(map[string]string, len(s.FormErrors))
			for k, v := range s.FormErrors {
				fe[clean(k)] = clean(v)
			}
			s.FormErrors = fe
		}
	}
	for i := range r.Console {
		r.Console[i].Level = clean(r.Console[i].Level)
		r.Console[i].Text = clean(r.Console[i].Text)
	}
	if e := r.Error; e != nil {
		e.Code, e.Message = clean(e.Code), clean(e.Message)
	}
}

func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func hasNUL(m map[string]string) bool {
	for k, v := range m {
		if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}
