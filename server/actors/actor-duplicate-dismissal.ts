import type { DataSource } from 'typeorm';
import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { requireUser } from '../auth/auth.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import { type Queryable, run, type Sql, sql } from '../db/sql.js';
import { ChangedByField } from '../graphql/fields.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage, isInstantKey } from '../graphql/pagination.js';
import { emptyToNull } from './actor-record.js';
import { NO_REACH } from './actor-review.js';
import { Actor } from './actor.entity.js';
import { ActorPermissions } from './actor.permissions.js';
import { ActorRepository } from './actor.repository.js';

@ObjectType({ description: 'Une paire écartée de la liste des doublons possibles (« Pas un doublon ») : qui, quand, pourquoi' })
export class DuplicateDismissal {
  @Field(() => ID) id: string;
  @Field(() => Actor, { description: 'Le premier des deux par ordre alphabétique' }) a: Actor;
  @Field(() => Actor) b: Actor;
  @Field(() => String, { nullable: true, description: 'Pourquoi ce n’est pas un doublon (facultatif, 1 000 caractères au plus)' }) reason: string | null;

  @ChangedByField()
  byName: string | null;

  @Field(() => Date, { description: 'Quand la paire a été écartée' }) at: Date;

  @Field(() => Date, { nullable: true, description: 'Quand un administrateur l’a rétablie dans la liste (null tant qu’elle est écartée)' })
  restoredAt: Date | null;

  @Field(() => Boolean, { description: 'Vrai si le compte connecté peut la rétablir (administrateurs)' }) viewerCanRestore: boolean;
}

@ObjectType({ description: 'Une paire écartée' })
export class DuplicateDismissalEdge extends EdgeOf(DuplicateDismissal) {}

@ObjectType({ description: 'Paires écartées de la liste des doublons possibles, les plus récentes d’abord' })
export class DuplicateDismissals extends ConnectionOf(DuplicateDismissalEdge, 'Nombre de paires écartées dans ce périmètre') {}

interface DismissalRow {
  id: string;
  actor_a: string;
  actor_b: string;
  reason: string | null;
  by_name: string | null;
  at: Date;
  at_key: string;
  restored_at: Date | null;
}

const COLUMNS = sql`d.id, d.actor_a, d.actor_b, d.reason, u.display_name AS by_name, d.at,
  to_char(d.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_key, d.restored_at`;

/**
 * « Pas un doublon »: a pair of actors an analyst or an administrator has looked at and set aside
 * (table actor_duplicate_dismissal, migration 1764000000030). It leaves the « doublons possibles »
 * list (actor-duplicates.ts) for everyone until an administrator brings it back.
 *
 * - Who: whoever may merge the pair (ActorPermissions.assertCanDismissDuplicate reuses canMerge), on
 *   both actors as stored, under their row locks (taken in id order, FOR NO KEY UPDATE as a merge
 *   takes them): a dismissal and a merge of the same pair run one after the other. After the merge,
 *   the dismissal answers CONFLICT (the removed actor is archived); before it, the merge still runs
 *   (setting a pair aside does not forbid merging it).
 * - The pair is stored once (smaller id first); a second dismissal of a pair already set aside
 *   answers the first decision unchanged (idempotent: a double click, or two analysts at once).
 * - The decision holds for the pair, whatever its reasons become: the analyst judged the two
 *   structures (two sites of one association stay two sites when one of them changes its e-mail),
 *   and a list that brought pairs back at every edit would be read less. An administrator who
 *   thinks otherwise restores it (« Rétablir »), and the pair is listed again with all its reasons.
 * - Any two actors may be set aside, listed or not: a pair not listed today may be tomorrow.
 */
export class DuplicateDismissalService {
  constructor(private readonly ds: DataSource) {}

  async dismiss(x: string, y: string, reason: string | null | undefined, user: AuthUser | null | undefined): Promise<DuplicateDismissal> {
    const u = requireUser(user);
    checkUuid(x, 'a', 'd’acteur');
    checkUuid(y, 'b', 'd’acteur');
    if (!ActorPermissions.mayMergeAny(u)) throw ActorPermissions.cannotDismissDuplicate();
    if (x.toLowerCase() === y.toLowerCase()) throw badInput('Une fiche ne peut pas être le doublon d’elle-même : choisissez deux fiches différentes.', 'b');
    const text = emptyToNull(reason);
    if (text !== null && text.length > 1000) throw badInput('La raison dépasse 1 000 caractères', 'reason');
    const id = await this.ds.transaction(async (m) => {
      const locked = await run<{ id: string; name: string; status: string; merged_into: string | null }>(
        m,
        sql`SELECT id, name, status, merged_into FROM actor WHERE id = ANY(${[x, y]}::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
      );
      if (locked.length < 2) throw notFound('Acteur introuvable');
      const reach = await ActorRepository.reach(m, [locked[0].id, locked[1].id]);
      const [a, b] = locked.map((r) => ({ id: r.id, reach: reach.get(r.id) ?? NO_REACH }));
      ActorPermissions.assertCanDismissDuplicate(u, a, b);
      for (const r of locked) {
        if (r.status === 'ACTIVE') continue;
        throw new AppError(
          'CONFLICT',
          r.merged_into
            ? `« ${r.name} » a été fusionné dans un autre acteur : la paire n’est plus un doublon possible.`
            : `« ${r.name} » est archivé : seules les paires de deux acteurs actifs s’écartent.`,
          { field: r.id === x ? 'a' : 'b', mergedInto: r.merged_into },
        );
      }
      // Ordered by the locks' ORDER BY id: the canonical pair. The partial unique index finds an open decision.
      const inserted = await run<{ id: string }>(
        m,
        sql`INSERT INTO actor_duplicate_dismissal (actor_a, actor_b, user_id, reason) VALUES (${a.id}, ${b.id}, ${u.id}, ${text})
            ON CONFLICT (actor_a, actor_b) WHERE restored_at IS NULL DO NOTHING RETURNING id`,
      );
      if (inserted.length) return inserted[0].id;
      const [open] = await run<{ id: string }>(
        m,
        sql`SELECT id FROM actor_duplicate_dismissal WHERE actor_a = ${a.id} AND actor_b = ${b.id} AND restored_at IS NULL`,
      );
      return open.id;
    });
    return (await this.read(this.ds, sql`d.id = ${id}`, u))[0];
  }

  /** « Rétablir »: the pair comes back to the list; the decision stays, closed. NOT_FOUND if it is not set aside. */
  async restore(x: string, y: string, user: AuthUser | null | undefined): Promise<DuplicateDismissal> {
    const u = requireUser(user);
    checkUuid(x, 'a', 'd’acteur');
    checkUuid(y, 'b', 'd’acteur');
    ActorPermissions.assertCanRestoreDuplicate(u);
    const [row] = await run<{ id: string }>(
      this.ds,
      sql`UPDATE actor_duplicate_dismissal SET restored_at = clock_timestamp(), restored_by = ${u.id}
          WHERE actor_a = least(${x}::uuid, ${y}::uuid) AND actor_b = greatest(${x}::uuid, ${y}::uuid) AND restored_at IS NULL RETURNING id`,
    );
    if (!row) throw notFound('Cette paire n’est pas écartée de la liste des doublons.');
    return (await this.read(this.ds, sql`d.id = ${row.id}`, u))[0];
  }

  /**
   * The pairs set aside and not restored, whose two actors are active and, with `region`, both act
   * in it (coverage_area, as the list reads it): the most recent first, keyset pages on (at, id).
   */
  async list(
    { region, first, after }: { region: string | null; first: number; after: string | null | undefined },
    user: AuthUser | null | undefined,
  ): Promise<DuplicateDismissals> {
    const [afterAt, afterId] = after ? decodeCursor(after, isInstantKey) : [null, null];
    const inScope = sql`d.restored_at IS NULL AND NOT EXISTS (
        SELECT 1 FROM actor a WHERE a.id IN (d.actor_a, d.actor_b) AND (a.status <> 'ACTIVE' OR (${region}::text IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM coverage_area ca WHERE ca.actor_id = a.id AND ca.level = 'REGION' AND ca.code = ${region}))))`;
    const rows =
      first === 0
        ? []
        : await this.read(
            this.ds,
            sql`${inScope} AND (${afterAt}::timestamptz IS NULL OR (d.at, d.id) < (${afterAt}::timestamptz, ${afterId}::uuid))
                ORDER BY d.at DESC, d.id DESC LIMIT ${first + 1}`,
            user,
          );
    const { edges, pageInfo } = forwardPage(rows, first, (d) => encodeCursor(d.atKey, d.id), after);
    const [{ n }] = await run<{ n: number }>(this.ds, sql`SELECT count(*)::int AS n FROM actor_duplicate_dismissal d WHERE ${inScope}`);
    return { edges: edges.map(({ cursor, node }) => ({ cursor, node })), pageInfo, totalCount: n };
  }

  private async read(db: Queryable, where: Sql, user: AuthUser | null | undefined): Promise<(DuplicateDismissal & { atKey: string })[]> {
    const rows = await run<DismissalRow>(
      db,
      sql`SELECT ${COLUMNS} FROM actor_duplicate_dismissal d LEFT JOIN user_account u ON u.id = d.user_id WHERE ${where}`,
    );
    const actors = new Map((await ActorRepository.findMany(db, [...new Set(rows.flatMap((r) => [r.actor_a, r.actor_b]))])).map((a) => [a.id, a]));
    const canRestore = ActorPermissions.canRestoreDuplicate(user);
    return rows.map((r) => {
      const [a, b] = [actors.get(r.actor_a)!, actors.get(r.actor_b)!].sort((p, q) => p.name.localeCompare(q.name, 'fr'));
      return Object.assign(new DuplicateDismissal(), {
        id: r.id,
        a,
        b,
        reason: r.reason,
        byName: r.by_name,
        at: new Date(r.at),
        atKey: r.at_key,
        restoredAt: r.restored_at ? new Date(r.restored_at) : null,
        viewerCanRestore: canRestore && r.restored_at === null,
      });
    });
  }
}
