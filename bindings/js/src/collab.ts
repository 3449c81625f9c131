// Unified search, notes, members and comments: each method names one core
// call; the core builds it, refuses bad input before sending and decides what
// an answer means (a version conflict included).

import type { Core } from './core.js';
import { ApiError, UsageError } from './errors.js';
import { walkPages, type PageOptions } from './pages.js';
import { callWith, compact, profile, type Backend, type Fields, type Place } from './calls.js';

/** One unified search hit. */
export interface SearchHit {
  bucket: 'files' | 'metadata' | 'comments' | string;
  id: string | null;
  item: unknown;
}

/**
 * A unified search over files, metadata (workspaces) and comments, every
 * bucket walked to its end on its own. A bucket the service reports as
 * degraded (partial results) ends early and is passed to `onDegraded`.
 */
export async function* search(
  b: Backend,
  query: string,
  place: Place,
  o: PageOptions & { pageSize?: number; onDegraded?: (bucket: string) => void } = {},
): AsyncGenerator<SearchHit, void, undefined> {
  const call: Fields = { op: 'unified', profile: profile(place), search: query };
  if (o.pageSize !== undefined) {
    for (const bucket of place.workspace !== undefined ? ['files', 'metadata', 'comments'] : ['files', 'comments']) {
      call[bucket] = { limit: o.pageSize };
    }
  }
  const core = await b.core();
  for await (const page of walkPages(core, b.config(core), b.fetch, { search: call }, o)) {
    for (const d of page.degraded) o.onDegraded?.(d);
    yield* page.items as SearchHit[];
  }
}

/** A compare-and-swap note update lost the race: `current` is the note now. */
export class NoteConflictError extends Error {
  readonly current: Record<string, unknown>;
  override readonly cause: ApiError;

  constructor(current: Record<string, unknown>, cause: ApiError) {
    super(`the note is at version ${String(current.version_id)} now`);
    this.name = 'NoteConflictError';
    this.current = current;
    this.cause = cause;
  }
}

/** Markdown notes the service versions like files. */
export class Notes {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  /** A new note (`name` ends in `.md`; at most 100 KB); resolves to its node. */
  async create(name: string, content: string, place: Place, parent = 'root'): Promise<any> {
    const call = { storage: { op: 'create_note', profile: profile(place), parent, name, content } };
    return (await callWith(this.#b, call)).node;
  }

  /** Its text and node; `version` reads an older one. */
  async read(node: string, place: Place, version?: string): Promise<{ content: string; note: any }> {
    const call = { storage: compact({ op: 'read_note', profile: profile(place), node, version_id: version }) };
    return callWith(this.#b, call);
  }

  /**
   * Rewrites and/or renames a note; with `ifVersion` only a note still at
   * that version changes, else `NoteConflictError` carries the note as it is.
   */
  async update(node: string, place: Place, o: { content?: string; name?: string; ifVersion?: string }): Promise<any> {
    const call = {
      storage: compact({ op: 'update_note', profile: profile(place), node, content: o.content, name: o.name, if_version_id: o.ifVersion }),
    };
    try {
      return (await callWith(this.#b, call)).node;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const current = versionConflict(await this.#b.core(), e);
      if (current) throw new NoteConflictError(current, e);
      throw e;
    }
  }
}

/** The note as it is now when the error is a version conflict: the core decides. */
function versionConflict(core: Core, e: ApiError): Record<string, unknown> | undefined {
  const current = core.requests.versionConflict(JSON.stringify(e.detail ?? {}));
  return current === undefined ? undefined : (JSON.parse(current) as Record<string, unknown>);
}

/** Exactly one of a workspace, a share or an org. */
export interface Entity {
  workspace?: string;
  share?: string;
  org?: string;
}

function entity(e: Entity): Fields {
  const given = Object.entries(e).filter(([, v]) => v !== undefined);
  if (given.length !== 1) throw new UsageError('bad-argument', 'give exactly one of workspace, share or org');
  return Object.fromEntries(given);
}

/** Members and invitations of workspaces, shares and orgs. */
export class Members {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  #call(op: string, e: Entity, fields: Fields = {}): Promise<any> {
    return callWith(this.#b, { members: compact({ op, entity: entity(e), ...fields }) });
  }

  /** Every member, page after page. */
  async *list(e: Entity, options: PageOptions = {}): AsyncGenerator<any, void, undefined> {
    const core = await this.#b.core();
    const call = { members: { op: 'list', entity: entity(e) } };
    for await (const page of walkPages(core, this.#b.config(core), this.#b.fetch, call, options)) yield* page.items;
  }

  /** Adds a user by id, or invites an e-mail address (the core encodes it into the path). */
  add(e: Entity, who: string, permissions = 'member'): Promise<any> {
    return this.#call('add', e, { member: who, permissions });
  }

  async update(e: Entity, member: string, permissions: string): Promise<any> {
    return (await this.#call('update', e, { member_id: member, permissions })).member;
  }

  async remove(e: Entity, member: string): Promise<void> {
    await this.#call('remove', e, { member_id: member });
  }

  async invitations(e: Entity, state?: string): Promise<any[]> {
    return (await this.#call('invitations', e, { state })).invitations;
  }

  async revoke(e: Entity, invitation: string): Promise<void> {
    await this.#call('revoke_invitation', e, { invitation_id: invitation });
  }
}

/** Comments on files, with replies and reactions. */
export class Comments {
  readonly #b: Backend;

  constructor(backend: Backend) {
    this.#b = backend;
  }

  #call(op: string, fields: Fields): Promise<any> {
    return callWith(this.#b, { comments: compact({ op, ...fields }) });
  }

  /** A comment on a file, or a reply to `replyTo`; resolves to it. */
  async add(node: string, body: string, place: Place, o: { replyTo?: string; reference?: Fields; properties?: Fields } = {}): Promise<any> {
    const got = await this.#call('create', {
      profile: profile(place),
      node,
      body,
      parent_id: o.replyTo,
      reference: o.reference,
      properties: o.properties,
    });
    return got.comment;
  }

  /** The comments on `node`, or every comment of the place when `node` is undefined. */
  async *list(place: Place, node?: string, o: PageOptions & { newestFirst?: boolean } = {}): AsyncGenerator<any, void, undefined> {
    const sort = o.newestFirst ? 'desc' : 'asc';
    const call = node === undefined
      ? { comments: { op: 'list_all', profile: profile(place), sort } }
      : { comments: { op: 'list', profile: profile(place), node, sort } };
    const core = await this.#b.core();
    for await (const page of walkPages(core, this.#b.config(core), this.#b.fetch, call, o)) yield* page.items;
  }

  async edit(comment: string, body: string): Promise<any> {
    return (await this.#call('update', { comment_id: comment, body })).comment;
  }

  /** Deletes one comment, or several in one call. */
  async delete(...comments: string[]): Promise<void> {
    if (comments.length === 1) await this.#call('delete', { comment_id: comments[0] });
    else await this.#call('bulk_delete', { comment_ids: comments });
  }

  /** Sets the caller's reaction; `null` removes it. */
  async react(comment: string, emoji: string | null): Promise<any> {
    const got = emoji === null
      ? await this.#call('unreact', { comment_id: comment })
      : await this.#call('react', { comment_id: comment, emoji });
    return got.comment;
  }
}
