import * as assert from 'node:assert/strict';
import { helper, load, recordStatuses as record, run, statusPainted, useNodeTestServer } from '../../testkit/harness';

// The test helper's RED._ returns the i18n key: status texts show as keys here.
describe('flow node status', () => {
  const ctx = useNodeTestServer({ seed: [{ purpose: 'customer' }, { purpose: 'agent' }, { purpose: 'agent' }] });

  it('counts the msgs in flight, then shows the outcome', async () => {
    await load(ctx.sim.url, [{ id: 'w', type: 'genesys-await-terminal', timeout: 1, wires: [['out1'], ['out2']] }]);
    const seen = record('w');
    const outs: any[] = [];
    const both = new Promise<void>((resolve) =>
      helper.getNode('out2').on('input', (m: any) => {
        outs.push(m);
        if (outs.length === 3) resolve();
      }),
    );
    for (const pid of ctx.ids) helper.getNode('w').receive({ conversationId: ctx.cid, participantId: pid });
    await both;
    await statusPainted();
    const texts = seen.map((s) => s.text);
    assert.ok(
      texts.some((t) => t === 'genesys-await-terminal.status.waiting (3)'),
      texts.join(' | '),
    );
    const last = seen[seen.length - 1];
    assert.equal(last.text, 'genesys-await-terminal.status.timedOut');
    assert.equal(last.fill, 'yellow');
  });

  it('shows the error code of a failed msg (here: the config problem)', async () => {
    await load(ctx.sim.url, [{ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']] }], {
      credentials: { clientId: 'x', clientSecret: '' },
    });
    const seen = record('k');
    const o = await run('k', { conversationId: ctx.cid, participantId: ctx.ids[1] });
    assert.equal(o.port, 'error');
    await statusPainted();
    assert.equal(o.msg._error.field, 'clientSecret');
    assert.deepEqual(seen[seen.length - 1], { fill: 'red', shape: 'ring', text: 'genesys-disconnect-participant.status.error: invalid-input' });
  });

  it('a successful kick ends green "disconnected"', async () => {
    await load(ctx.sim.url, [{ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']] }]);
    const seen = record('k');
    const o = await run('k', { conversationId: ctx.cid, participantId: ctx.ids[1] });
    assert.equal(o.port, 'out1');
    await statusPainted();
    const texts = seen.map((s) => s.text);
    assert.equal(texts[0], 'genesys-disconnect-participant.status.resolving');
    assert.ok(texts.includes('genesys-disconnect-participant.status.disconnecting'), texts.join(' | '));
    assert.deepEqual(seen[seen.length - 1], { fill: 'green', shape: 'dot', text: 'genesys-disconnect-participant.status.disconnected' });
  });

  it('paints a burst of msgs once, the last status asked for, after the msg that asked first has gone on', async () => {
    await load(ctx.sim.url, [{ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']] }]);
    const seen = record('k');
    const paintedWhenOut: number[] = [];
    helper.getNode('caughtOut').on('input', () => paintedWhenOut.push(seen.length));
    const caught = new Promise<void>((resolve) => {
      let n = 0;
      helper.getNode('caughtOut').on('input', () => ++n === 20 && resolve());
    });
    // 20 msgs failing their validation (no request), all in one turn.
    for (let i = 0; i < 20; i++) helper.getNode('k').receive({ conversationId: 'not-an-id', participantId: ctx.ids[1] });
    await caught;
    // Node-RED passes each msg on in a later turn (setImmediate): the paint is queued behind the first one.
    assert.equal(paintedWhenOut[0], 0, 'the first msg went on before any status was painted');
    await statusPainted();
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.deepEqual(seen[0], { fill: 'red', shape: 'ring', text: 'genesys-disconnect-participant.status.error: invalid-input' });
  });

  it('a close clears the status, and a status still to paint does not come back after it', async () => {
    await load(ctx.sim.url, [{ id: 'k', type: 'genesys-disconnect-participant', wires: [['out1']] }]);
    const node = helper.getNode('k');
    const seen = record('k');
    const closed = new Promise<void>((resolve, reject) =>
      // The msg has gone on, its error status is not painted yet: close now.
      helper.getNode('caughtOut').on('input', () => node.close().then(resolve, reject)),
    );
    node.receive({ conversationId: 'not-an-id', participantId: ctx.ids[1] });
    await closed;
    await statusPainted();
    await statusPainted();
    assert.deepEqual(seen, [{}]);
  });
});
