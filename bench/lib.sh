# Sourced by the bench scripts: checks Postgres, builds the release binary, exports the
# server's environment for database $1 and port $2, and drops the database (and stops a server
# started into $PID) on exit. Also: `median` and `percentile P` over numbers on stdin.
bench_init() { # database port
  PG="${SLR_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
  DB="$1"
  PORT="$2"
  pg_isready -q -d "$PG/postgres" || { echo "bench: Postgres at $PG is not reachable" >&2; exit 1; }
  cargo build --release -q -p slr
  SLR=target/release/slr
  export DATABASE_URL="$PG/$DB" SLR_JWT_SECRET="bench-secret-bench-secret-bench-secret" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn
  PID=
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
}

median() { percentile 0.5; }

percentile() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p+0.999); if (i<1) i=1; print a[i]}'; }

# Seeds (with SQL, in seconds) into $DATABASE_URL, migrated: 3 services, 4 classifications,
# 2 partners with $1 customers each and $2 tenants per customer, a partner_tenants offering per
# partner and service, contact partner0@bench.example, $3 resolved incidents over the last year
# (mostly service- or classification-wide, 5 % aimed at one tenant) and $4 completed windows.
seed_world() { # customers-per-partner tenants-per-customer incidents windows
  psql -q "$DATABASE_URL" -v customers="$1" -v tenants="$2" -v incidents="$3" -v windows="$4" <<'SQL'
-- Seeding is not a change readers follow: triggers off (the server loads everything at start).
SET session_replication_role = replica;
\set now '(now() AT TIME ZONE ''UTC'')'
INSERT INTO services (name, created_at, updated_at) SELECT 'Service ' || i, :now, :now FROM generate_series(1, 3) i;
INSERT INTO classifications (code, tier, region, label, created_at, updated_at) VALUES
  ('saas2-eu', 2, 'EU', 'SaaS 2 EU-hosted', :now, :now), ('saas3-eu', 3, 'EU', 'SaaS 3 EU-hosted', :now, :now),
  ('saas2-us', 2, 'US', 'SaaS 2 US-hosted', :now, :now), ('saas3-us', 3, 'US', 'SaaS 3 US-hosted', :now, :now);
INSERT INTO accounts (name, kind, created_at, updated_at) SELECT 'Partner ' || p, 'partner', :now, :now FROM generate_series(0, 1) p;
INSERT INTO accounts (name, kind, managing_partner_id, created_at, updated_at)
  SELECT 'Customer ' || p.name || ' ' || c, 'customer', p.id, :now, :now FROM accounts p, generate_series(1, :customers) c WHERE p.kind = 'partner';
CREATE TEMP TABLE s AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM services;
CREATE TEMP TABLE k AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM classifications;
INSERT INTO tenants (name, account_id, service_id, classification_id, created_at, updated_at)
  SELECT 't' || a.id || '-' || t, a.id, s.id, k.id, :now, :now
  FROM accounts a CROSS JOIN generate_series(1, :tenants) t JOIN s ON s.n = t % 3 JOIN k ON k.n = (a.id + t) % 4
  WHERE a.kind = 'customer';
INSERT INTO offerings (name, kind, service_id, account_id, sla_target, created_at, updated_at)
  SELECT sv.name || ' - ' || p.name || ' (Partner Tenants)', 'partner_tenants', sv.id, p.id, 99.9, :now, :now
  FROM services sv, accounts p WHERE p.kind = 'partner';
INSERT INTO contacts (account_id, email, name, role, created_at, updated_at)
  SELECT id, 'partner0@bench.example', 'Partner 0', 'viewer', :now, :now FROM accounts WHERE name = 'Partner 0';
INSERT INTO incidents (service_id, title, impact, status, scope_kind, started_at, resolved_at, version, created_at, updated_at)
  SELECT s.id, 'Incident ' || i, (ARRAY['degraded', 'partial_outage', 'major_outage'])[1 + i % 3], 'resolved',
         CASE WHEN i % 20 = 0 THEN 'tenants' WHEN i % 2 = 0 THEN 'service' ELSE 'classifications' END,
         :now - interval '365 days' + i * (interval '365 days' / :incidents),
         :now - interval '365 days' + i * (interval '365 days' / :incidents) + (10 + i % 240) * interval '1 minute',
         1, :now, :now
  FROM generate_series(1, :incidents) i JOIN s ON s.n = i % 3;
UPDATE incidents SET initial_impact = impact;
INSERT INTO incident_classifications (incident_id, classification_id)
  SELECT i.id, k.id FROM incidents i JOIN k ON k.n = i.id % 4 WHERE i.scope_kind = 'classifications';
INSERT INTO incident_tenants (incident_id, tenant_id)
  SELECT i.id, (SELECT t.id FROM tenants t WHERE t.service_id = i.service_id ORDER BY t.id OFFSET i.id % 50 LIMIT 1)
  FROM incidents i WHERE i.scope_kind = 'tenants';
INSERT INTO maintenances (service_id, title, description, status, expected_impact, scheduled_start, scheduled_end, version, created_at, updated_at)
  SELECT s.id, 'Window ' || i, 'Planned.', 'completed', CASE WHEN i % 2 = 0 THEN 'downtime' ELSE 'degraded' END,
         :now - interval '365 days' + i * (interval '365 days' / :windows), :now - interval '365 days' + i * (interval '365 days' / :windows) + interval '90 minutes', 1, :now, :now
  FROM generate_series(1, :windows) i JOIN s ON s.n = i % 3;
UPDATE maintenances SET actual_start = scheduled_start, actual_end = scheduled_end;
INSERT INTO maintenance_classifications (maintenance_id, classification_id)
  SELECT m.id, k.id FROM maintenances m JOIN k ON k.n IN (m.id % 4, (m.id + 1) % 4);
ANALYZE;
SQL
}

# Adds per-tenant recovery to the seeded incidents: in every $1-th incident reaching more than
# one tenant, the tenants of one customer (by incident id) recover halfway through it, and the
# tenants of the next customer are ruled out — staggered recoveries as a long outage has them.
seed_recoveries() { # every-nth
  psql -q "$DATABASE_URL" -v every="$1" <<'SQL'
SET session_replication_role = replica;
CREATE TEMP TABLE c AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts WHERE kind = 'customer';
INSERT INTO incident_tenant_states (incident_id, tenant_id, state, effective_at)
  SELECT i.id, t.id, CASE WHEN c.n = i.id % (SELECT count(*) FROM c) THEN 'recovered' ELSE 'unaffected' END,
         i.started_at + (i.resolved_at - i.started_at) / 2
  FROM incidents i
  JOIN tenants t ON t.service_id = i.service_id
  JOIN c ON c.id = t.account_id AND c.n IN (i.id % (SELECT count(*) FROM c), (i.id + 1) % (SELECT count(*) FROM c))
  WHERE i.scope_kind <> 'tenants' AND i.id % :every = 0
    AND (i.scope_kind = 'service'
         OR t.classification_id IN (SELECT classification_id FROM incident_classifications ic WHERE ic.incident_id = i.id));
ANALYZE incident_tenant_states;
SELECT count(DISTINCT incident_id) AS incidents_with_recoveries, count(*) AS tenant_marks FROM incident_tenant_states \gset
\echo :incidents_with_recoveries :tenant_marks
SQL
}

# Servers and load for the read benchmarks (status.sh, feeds.sh): `serve` starts slr on CPU 0,
# `load` runs wrk on CPU 1, `row` prints one endpoint's figures with its ratio to /healthz.
serve() { # port [env…] → starts slr on CPU 0, waits until ready, records the pid in SERVER
  local port=$1; shift
  env "$@" SLR_BIND="127.0.0.1:$port" taskset -c 0 "$SLR" serve >>/tmp/slr-bench.log 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
}

load() { # connections url token [header] → "rps p50 p99 errors"
  local extra=()
  [ -n "${4:-}" ] && extra=(-H "$4")
  taskset -c 1 wrk -t1 -c"$1" -d"${DURATION}s" --latency -H "Authorization: Bearer $3" "${extra[@]}" "$2" |
    awk '/Requests\/sec/ {rps=$2} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2} /Non-2xx/ {bad=$NF} END {print rps, p50, p99, (bad==""?0:bad)}'
}

row() { # label rps p50 p99 errors healthz-rps
  printf '  %-58s %10s %9s %9s %7s %8s\n' "$1" "$2" "$3" "$4" \
    "$(awk -v a="$2" -v b="$6" 'BEGIN {printf "%.2f", a/b}')" "$5"
}

