module github.com/gatehouse-id/gatehouse/migrations

go 1.26.0
