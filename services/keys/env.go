package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func validateEnvKey(env, key string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	return validateVarName(key)
}

func (s *Service) createEnv(ctx context.Context, req api.CreateEnvRequest) (api.EnvVar, error) {
	if err := validateEnvKey(req.Env, req.Key); err != nil {
		return api.EnvVar{}, err
	}
	if err := validateValue(req.Key, req.Value); err != nil {
		return api.EnvVar{}, err
	}
	r := &varRow{id: ids.New("env"), env: req.Env, key: req.Key, isSecret: req.IsSecret}
	if req.IsSecret {
		dk, err := s.dk.get(ctx, req.Env, true)
		if err != nil {
			return api.EnvVar{}, err
		}
		if r.ciphertext, err = encrypt(dk, []byte(req.Value), []byte(r.id)); err != nil {
			return api.EnvVar{}, fmt.Errorf("encrypt variable %s: %w", req.Key, err)
		}
	} else {
		r.value = &req.Value
	}
	out, err := s.insertVar(ctx, r)
	if err != nil {
		return api.EnvVar{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeEnv, Key: req.Key})
	return out.public(), nil
}

func (s *Service) updateEnv(ctx context.Context, req api.UpdateEnvRequest) (api.EnvVar, error) {
	if err := validateEnvKey(req.Env, req.Key); err != nil {
		return api.EnvVar{}, err
	}
	if req.Value == nil && req.IsSecret == nil {
		return api.EnvVar{}, invalid("update of variable %s changes nothing: give a value, isSecret, or both", req.Key)
	}
	if req.Value != nil {
		if err := validateValue(req.Key, *req.Value); err != nil {
			return api.EnvVar{}, err
		}
	}
	makeSecret := req.IsSecret != nil && *req.IsSecret
	// Fetch the data key, if one will be needed, before locking the row.
	cur, err := readVar(ctx, s.pool, req.Env, req.Key, false)
	if err != nil {
		return api.EnvVar{}, err
	}
	var dk []byte
	if cur.isSecret || makeSecret {
		if dk, err = s.dk.get(ctx, req.Env, true); err != nil {
			return api.EnvVar{}, err
		}
	}
	var out *varRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := readVar(ctx, tx, req.Env, req.Key, true)
		if err != nil {
			return err
		}
		if cur.isSecret && req.IsSecret != nil && !*req.IsSecret {
			return natsrpc.Errorf(natsrpc.CodeFailedPrecondition,
				"variable %s in environment %s is secret and cannot be made non-secret, since that would reveal its value: delete it and create it again", req.Key, req.Env)
		}
		secret := cur.isSecret || makeSecret
		switch {
		case secret && (req.Value != nil || !cur.isSecret):
			plain := req.Value
			if plain == nil {
				plain = cur.value
			}
			if dk == nil { // it became secret since the first read
				if dk, err = s.dk.get(ctx, req.Env, true); err != nil {
					return err
				}
			}
			ct, err := encrypt(dk, []byte(*plain), []byte(cur.id))
			if err != nil {
				return fmt.Errorf("encrypt variable %s: %w", req.Key, err)
			}
			out, err = scanVar(tx.QueryRow(ctx, `UPDATE keys.env_vars SET is_secret = true, value = NULL, ciphertext = $2,
				updated_at = now() WHERE id = $1 RETURNING `+varColumns, cur.id, ct))
			return err
		case !secret && req.Value != nil:
			out, err = scanVar(tx.QueryRow(ctx, `UPDATE keys.env_vars SET value = $2, updated_at = now()
				WHERE id = $1 RETURNING `+varColumns, cur.id, *req.Value))
			return err
		default: // already as asked
			out = cur
			return nil
		}
	})
	if err != nil {
		var e *natsrpc.Error
		if errors.As(err, &e) {
			return api.EnvVar{}, e
		}
		return api.EnvVar{}, fmt.Errorf("update variable %s in environment %s: %w", req.Key, req.Env, err)
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeEnv, Key: req.Key})
	return out.public(), nil
}

func (s *Service) getEnv(ctx context.Context, req api.EnvKeyRequest) (api.EnvVar, error) {
	if err := validateEnvKey(req.Env, req.Key); err != nil {
		return api.EnvVar{}, err
	}
	r, err := readVar(ctx, s.pool, req.Env, req.Key, false)
	if err != nil {
		return api.EnvVar{}, err
	}
	return r.public(), nil
}

func (s *Service) listEnv(ctx context.Context, req api.ListEnvRequest) (api.ListEnvResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.ListEnvResponse{}, err
	}
	vars, err := s.listVars(ctx, req.Env)
	if err != nil {
		return api.ListEnvResponse{}, err
	}
	return api.ListEnvResponse{Variables: vars}, nil
}

func (s *Service) deleteEnv(ctx context.Context, req api.EnvKeyRequest) (api.DeleteResponse, error) {
	if err := validateEnvKey(req.Env, req.Key); err != nil {
		return api.DeleteResponse{}, err
	}
	if err := s.deleteVar(ctx, req.Env, req.Key); err != nil {
		return api.DeleteResponse{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeEnv, Key: req.Key})
	return api.DeleteResponse{Deleted: true}, nil
}

// resolveEnv gives a worker a variable's value, sealed to its transport key.
func (s *Service) resolveEnv(ctx context.Context, req api.ResolveEnvRequest) (api.ResolveEnvResponse, error) {
	if err := validateEnvKey(req.Env, req.Key); err != nil {
		return api.ResolveEnvResponse{}, err
	}
	if err := validateTransportKey(req.TransportKey); err != nil {
		return api.ResolveEnvResponse{}, err
	}
	r, err := readVar(ctx, s.pool, req.Env, req.Key, false)
	if natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		return api.ResolveEnvResponse{Found: false}, nil
	}
	if err != nil {
		return api.ResolveEnvResponse{}, err
	}
	var plain []byte
	if r.isSecret {
		if plain, err = s.open(ctx, r.env, r.id, r.ciphertext, fmt.Sprintf("variable %s", r.key)); err != nil {
			return api.ResolveEnvResponse{}, err
		}
	} else {
		plain = []byte(*r.value)
	}
	sealed, err := api.Seal(req.TransportKey, plain, api.AADEnv(req.Env, req.Key))
	clear(plain)
	if err != nil {
		return api.ResolveEnvResponse{}, invalid("transport key is not a usable X25519 public key")
	}
	return api.ResolveEnvResponse{Found: true, IsSecret: r.isSecret, Sealed: sealed}, nil
}

// open decrypts a stored ciphertext of row id in env. what names the thing
// for error messages. Failures are CodeInternal errors that say what is
// wrong without revealing anything stored.
func (s *Service) open(ctx context.Context, env, id string, ciphertext []byte, what string) ([]byte, error) {
	dk, err := s.dk.get(ctx, env, false)
	if errors.Is(err, errNoDataKey) {
		s.log.Error("encrypted row without a data key", "env", env, "id", id)
		return nil, natsrpc.Errorf(natsrpc.CodeInternal, "%s in environment %s is encrypted, but the environment has no data key", what, env)
	}
	if err != nil {
		return nil, err
	}
	plain, err := decrypt(dk, ciphertext, []byte(id))
	if err != nil {
		s.log.Error("stored ciphertext does not decrypt", "env", env, "id", id)
		return nil, natsrpc.Errorf(natsrpc.CodeInternal,
			"the stored value of %s in environment %s does not decrypt: it was altered or copied from another row (row %s)", what, env, id)
	}
	return plain, nil
}
