// File Shares, unified search, notes, comments and members through the package against the local
// devserver: a password link downloaded anonymously, the preview's redirect
// followed by the core without credentials, a bucket-by-bucket search, and a
// note update that lost its race.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, NoteConflictError, UsageError, createClient } from 'fastio-core';
import { bytes, createWorkspace, readAll, startDevserver } from './support/devserver.mjs';

let server;
let member;
let anonymous;
let workspace;
let node;
let data;

before(async () => {
  server = await startDevserver();
  member = createClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  anonymous = createClient({ baseUrl: server.baseUrl });
  workspace = await createWorkspace(member, 'JsFileShares');
  data = bytes(200_000, 7);
  const up = await member.upload(new Blob([data]), { workspace, name: 'report.pdf' });
  node = up.nodeId;
});

after(async () => {
  await server?.stop();
});

test('a password link serves its file to an anonymous recipient, and its preview follows one redirect without credentials', async () => {
  const link = await member.fileShares.create(workspace, node, { title: 'Report', password: 'open sesame', expiresIn: 3600 });
  assert.equal(link.file.name, 'report.pdf');
  await assert.rejects(anonymous.fileShares.details(link.id), (e) => e instanceof ApiError && e.status === 403);
  await assert.rejects(anonymous.fileShares.open(link.id, { password: 'wrong' }), (e) => e instanceof ApiError && e.status === 403);
  const details = await anonymous.fileShares.details(link.id, { password: 'open sesame' });
  assert.equal(details.effective_capability, 'download');
  const got = await anonymous.fileShares.open(link.id, { password: 'open sesame' });
  assert.deepEqual(await readAll(got.body), Buffer.from(data));
  const seen = [];
  const watching = createClient({
    baseUrl: server.baseUrl,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      seen.push({ url: req.url, auth: req.headers.get('authorization'), pw: req.headers.get('x-ve-password') });
      return fetch(req);
    },
  });
  const preview = await watching.fileShares.preview(link.id, 'thumbnail', { password: 'open sesame' });
  assert.deepEqual(await readAll(preview.body), Buffer.from(data));
  assert.equal(seen.length, 2);
  assert.equal(seen[0].pw, 'open sesame');
  assert.match(seen[1].url, /token=/);
  assert.equal(seen[1].auth, null);
  assert.equal(seen[1].pw, null);
  await assert.rejects(member.fileShares.create(workspace, node, { password: '' }), UsageError);
  const mine = [];
  for await (const f of member.fileShares.list(workspace)) mine.push(f.id);
  assert.ok(mine.includes(link.id));
});

test('a unified search walks every bucket to its end', async () => {
  const hits = [];
  for await (const hit of member.search('report', { workspace }, { pageSize: 1 })) hits.push(hit);
  assert.ok(hits.some((h) => h.bucket === 'files' && h.id === node), JSON.stringify(hits));
  await assert.rejects(async () => {
    for await (const _ of member.search(' ', { workspace })) break;
  }, UsageError);
});

test('a note update that lost its race carries the note as it is', async () => {
  const n = await member.notes.create('Plan.md', '# Plan', { workspace });
  const first = (await member.notes.read(n.id, { workspace })).note.version;
  await member.notes.update(n.id, { workspace }, { content: '# Plan v2', ifVersion: first });
  await assert.rejects(
    member.notes.update(n.id, { workspace }, { content: '# stale', ifVersion: first }),
    (e) => e instanceof NoteConflictError && e.current.content === '# Plan v2',
  );
});

test('comments reply and react; a teammate is invited and the invitation revoked', async () => {
  const c = await member.comments.add(node, 'Check page 2', { workspace }, { reference: { page: 2 } });
  const reply = await member.comments.add(node, 'Done', { workspace }, { replyTo: c.id });
  assert.equal(reply.parent_id, c.id);
  assert.deepEqual((await member.comments.react(c.id, '👍')).reactions, [{ emoji: '👍', count: 1 }]);
  const listed = [];
  for await (const x of member.comments.list({ workspace }, node)) listed.push(x.id);
  assert.deepEqual(listed, [c.id, reply.id]);
  await member.comments.delete(c.id);
  const left = [];
  for await (const x of member.comments.list({ workspace }, node)) left.push(x.id);
  assert.deepEqual(left, []);
  await assert.rejects(member.comments.add(node, '  ', { workspace }), UsageError);

  const owners = [];
  for await (const m of member.members.list({ workspace })) owners.push(m.permissions);
  assert.deepEqual(owners, ['owner']);
  const inv = (await member.members.add({ workspace }, 'pat+js@example.com', 'admin')).invitation;
  assert.equal(inv.email, 'pat+js@example.com');
  assert.equal((await member.members.invitations({ workspace }, 'pending')).length, 1);
  await member.members.revoke({ workspace }, inv.id);
  assert.equal((await member.members.invitations({ workspace }, 'pending')).length, 0);
  assert.throws(() => member.members.add({}, 'x@example.com'), UsageError);
});
