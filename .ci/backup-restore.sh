#!/usr/bin/env bash
# Proves the documented backup/restore (README « Sauvegarde et restauration ») on native PostgreSQL:
# pg_dump the database, pg_restore it into a new one, and compare every table row by row (checksums).
# Usage: .ci/backup-restore.sh HOST PORT USER DATABASE
set -euo pipefail
host=$1 port=$2 user=$3 db=$4
dump=$(mktemp /tmp/backup-XXXXXX.dump)
restored="${db}_restored"
pg() { psql -h "$host" -p "$port" -U "$user" -v ON_ERROR_STOP=1 -qtA "$@"; }

pg_dump -h "$host" -p "$port" -U "$user" --format=custom --file="$dump" "$db"
pg -d postgres -c "DROP DATABASE IF EXISTS $restored" -c "CREATE DATABASE $restored"
pg_restore -h "$host" -p "$port" -U "$user" --no-owner --exit-on-error -d "$restored" "$dump"

checksums() {
  pg -d "$1" <<'SQL'
SELECT string_agg(format('%s:%s', t.table_name,
  (xpath('/row/c/text()', query_to_xml(format(
     'SELECT count(*) || ''/'' || coalesce(md5(string_agg(x::text, '','' ORDER BY x::text)), '''') AS c FROM %I x', t.table_name), false, true, '')))[1]::text),
  E'\n' ORDER BY t.table_name)
FROM information_schema.tables t
WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND t.table_name <> 'spatial_ref_sys';
SQL
}
before=$(checksums "$db")
after=$(checksums "$restored")
echo "$before" | sed 's/^/  /'
if [ "$before" != "$after" ]; then
  echo "backup/restore: the restored database differs"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi
echo "backup/restore: $(echo "$before" | wc -l) tables identical after pg_dump → pg_restore ($(du -h "$dump" | cut -f1) dump)"
pg -d postgres -c "DROP DATABASE $restored"
rm -f "$dump"
