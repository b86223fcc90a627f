package keys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func validateEnvWorkflow(env, workflowID string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	return validateWorkflowID(workflowID)
}

func validateEnvKeyID(env, keyID string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	return validateKeyID(keyID)
}

func (s *Service) createWorkflowKey(ctx context.Context, req api.CreateWorkflowKeyRequest) (api.CreateWorkflowKeyResponse, error) {
	if err := validateEnvWorkflow(req.Env, req.WorkflowID); err != nil {
		return api.CreateWorkflowKeyResponse{}, err
	}
	key, err := securefetch.NewKey()
	if err != nil {
		return api.CreateWorkflowKeyResponse{}, err
	}
	defer clear(key)
	dk, err := s.dk.get(ctx, req.Env, true)
	if err != nil {
		return api.CreateWorkflowKeyResponse{}, err
	}
	id := ids.New("wfk")
	ct, err := encrypt(dk, key, []byte(id))
	if err != nil {
		return api.CreateWorkflowKeyResponse{}, fmt.Errorf("encrypt workflow key: %w", err)
	}
	k, err := s.insertKey(ctx, id, req.Env, req.WorkflowID, ct)
	if err != nil {
		return api.CreateWorkflowKeyResponse{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeWorkflowKey, WorkflowID: req.WorkflowID})
	return api.CreateWorkflowKeyResponse{Key: k.WorkflowKey, Value: securefetch.FormatKey(key)}, nil
}

func (s *Service) listWorkflowKeys(ctx context.Context, req api.ListWorkflowKeysRequest) (api.ListWorkflowKeysResponse, error) {
	if err := validateEnvWorkflow(req.Env, req.WorkflowID); err != nil {
		return api.ListWorkflowKeysResponse{}, err
	}
	keys, err := s.listKeys(ctx, req.Env, req.WorkflowID)
	if err != nil {
		return api.ListWorkflowKeysResponse{}, err
	}
	return api.ListWorkflowKeysResponse{Keys: keys}, nil
}

// activateWorkflowKey makes a key active and the workflow's previously
// active key inactive, in one transaction.
func (s *Service) activateWorkflowKey(ctx context.Context, req api.WorkflowKeyRequest) (api.WorkflowKey, error) {
	if err := validateEnvKeyID(req.Env, req.KeyID); err != nil {
		return api.WorkflowKey{}, err
	}
	k, err := s.changeKey(ctx, req.Env, req.KeyID, func(tx pgx.Tx, k *keyRow) error {
		if k.Active {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE keys.workflow_keys SET active = false
			WHERE env = $1 AND workflow_id = $2 AND active`, k.Env, k.WorkflowID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE keys.workflow_keys SET active = true, activated_at = now() WHERE id = $1`, k.ID)
		return err
	})
	if err != nil {
		return api.WorkflowKey{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeWorkflowKey, WorkflowID: k.WorkflowID})
	return k.WorkflowKey, nil
}

// deactivateWorkflowKey leaves the workflow without an active key.
func (s *Service) deactivateWorkflowKey(ctx context.Context, req api.WorkflowKeyRequest) (api.WorkflowKey, error) {
	if err := validateEnvKeyID(req.Env, req.KeyID); err != nil {
		return api.WorkflowKey{}, err
	}
	k, err := s.changeKey(ctx, req.Env, req.KeyID, func(tx pgx.Tx, k *keyRow) error {
		_, err := tx.Exec(ctx, `UPDATE keys.workflow_keys SET active = false WHERE id = $1`, k.ID)
		return err
	})
	if err != nil {
		return api.WorkflowKey{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeWorkflowKey, WorkflowID: k.WorkflowID})
	return k.WorkflowKey, nil
}

// deleteWorkflowKey deletes an inactive key; the active one is refused.
func (s *Service) deleteWorkflowKey(ctx context.Context, req api.WorkflowKeyRequest) (api.DeleteResponse, error) {
	if err := validateEnvKeyID(req.Env, req.KeyID); err != nil {
		return api.DeleteResponse{}, err
	}
	k, err := s.changeKey(ctx, req.Env, req.KeyID, func(tx pgx.Tx, k *keyRow) error {
		if k.Active {
			return natsrpc.Errorf(natsrpc.CodeFailedPrecondition,
				"encryption key %s is the active key of workflow %s in environment %s and cannot be deleted: activate another key or deactivate this one first",
				k.ID, k.WorkflowID, k.Env)
		}
		_, err := tx.Exec(ctx, `DELETE FROM keys.workflow_keys WHERE id = $1`, k.ID)
		return err
	})
	if err != nil {
		return api.DeleteResponse{}, err
	}
	s.announce(api.Change{Env: req.Env, Kind: api.ChangeWorkflowKey, WorkflowID: k.WorkflowID})
	return api.DeleteResponse{Deleted: true}, nil
}

// activeWorkflowKey gives a worker the workflow's active key, sealed to its
// transport key, for secureFetch.
func (s *Service) activeWorkflowKey(ctx context.Context, req api.ActiveKeyRequest) (api.ActiveKeyResponse, error) {
	if err := validateEnvWorkflow(req.Env, req.WorkflowID); err != nil {
		return api.ActiveKeyResponse{}, err
	}
	if err := validateTransportKey(req.TransportKey); err != nil {
		return api.ActiveKeyResponse{}, err
	}
	k, err := s.activeKey(ctx, req.Env, req.WorkflowID)
	if err != nil {
		return api.ActiveKeyResponse{}, err
	}
	key, err := s.open(ctx, k.Env, k.ID, k.ciphertext, "the active encryption key of workflow "+k.WorkflowID)
	if err != nil {
		return api.ActiveKeyResponse{}, err
	}
	sealed, err := api.Seal(req.TransportKey, key, api.AADWorkflowKey(req.Env, req.WorkflowID, k.ID))
	clear(key)
	if err != nil {
		return api.ActiveKeyResponse{}, invalid("transport key is not a usable X25519 public key")
	}
	return api.ActiveKeyResponse{KeyID: k.ID, Sealed: sealed}, nil
}
