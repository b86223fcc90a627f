package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// EnvironmentVariable is the value of an environment variable set for the
// workflow's environment.
type EnvironmentVariable struct {
	Value string `json:"value"`
	// IsSecret is true for secrets; their values are redacted from logs.
	IsSecret bool `json:"isSecret"`
}

// GetEnvironmentVariable returns the variable key, or nil and no error when
// it does not exist. Binding kinde.env.
func GetEnvironmentVariable(key string) (*EnvironmentVariable, error) {
	js, err := sysGetEnv(key)
	if err != nil {
		var be *BindingError
		if errors.As(err, &be) && be.Status == abi.StatusNotFound {
			return nil, nil
		}
		return nil, err
	}
	v := new(EnvironmentVariable)
	if err := json.Unmarshal(js, v); err != nil {
		return nil, bindingError(abi.BindingEnv, abi.StatusInternal,
			fmt.Sprintf("environment variable %q: host returned invalid JSON: %v", key, err))
	}
	return v, nil
}
