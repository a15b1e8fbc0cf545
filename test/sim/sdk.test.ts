// The official Genesys Cloud JavaScript SDK, pointed at the simulator, logs in, reads and kicks: proof that
// the simulator speaks the real wire format (URLs, Basic auth, form body, JSON shapes, 202 with no body).
import * as assert from 'node:assert/strict';
import { start, SimHandle } from '../../sim';
import { conference, CONV, eventually, P, QUEUE, USER } from './helpers';

// Enum values of the official SDK models, as the SDKs deserialise them: a value not in the list becomes
// "outdated_sdk_version" (platform-client-sdk-python models/*.py setters; the lists here from
// MyPureCloud/platform-client-sdk-java build/docs: AnalyticsConversationSegment.md (208.0.0),
// AnalyticsParticipantWithoutAttributes.md (259.0.0), AnalyticsConversationWithoutAttributes.md;
// AnalyticsSession mediaType/direction from platform-client-sdk-python models/analytics_session.py).
// Kept apart from the simulator's own lists on purpose: a shared list would hide a wrong one.
const SDK_ENUMS = {
  originatingDirection: ['inbound', 'outbound'],
  purpose: [
    'acd',
    'agent',
    'api',
    'botflow',
    'campaign',
    'customer',
    'dialer',
    'external',
    'fax',
    'group',
    'inbound',
    'ivr',
    'manual',
    'outbound',
    'station',
    'user',
    'voicemail',
    'voicesurveyflow',
    'workflow',
  ],
  mediaType: ['callback', 'chat', 'cobrowse', 'email', 'message', 'screenshare', 'unknown', 'video', 'voice'],
  direction: ['inbound', 'outbound'],
  segmentType: [
    'alert',
    'barging',
    'callback',
    'coaching',
    'contacting',
    'converting',
    'delay',
    'dialing',
    'hold',
    'interact',
    'ivr',
    'monitoring',
    'parked',
    'scheduled',
    'sharing',
    'system',
    'transmitting',
    'unknown',
    'uploading',
    'voicemail',
    'wrapup',
  ],
  disconnectType: [
    'client',
    'conferenceTransfer',
    'consultTransfer',
    'dndEndpoint',
    'dndTransfer',
    'endpoint',
    'error',
    'forwardTransfer',
    'noAnswerTransfer',
    'notAvailableTransfer',
    'other',
    'peer',
    'spam',
    'system',
    'timeout',
    'transfer',
    'transportFailure',
    'uncallable',
  ],
};
/** REST disconnectType spellings (docs/platform.md section 3) the simulator's legs can end with. */
const ENDED_SPELLINGS = [
  'endpoint',
  'client',
  'system',
  'timeout',
  'transfer',
  'transfer.conference',
  'transfer.consult',
  'transfer.forward',
  'transfer.noanswer',
  'transfer.notavailable',
  'transport.failure',
  'endpoint.donotdisturb',
  'transfer.donotdisturb',
  'error',
  'peer',
  'other',
  'spam',
  'uncallable',
];
const sdkEnum = (field: keyof typeof SDK_ENUMS, v: unknown): unknown =>
  v === undefined || SDK_ENUMS[field].some((a) => a.toLowerCase() === String(v).toLowerCase()) ? v : 'outdated_sdk_version';

/** The enum fields of an AnalyticsConversationQueryResponse as the SDK models would hold them. */
function deserialisedEnums(answer: any): unknown[] {
  const out: unknown[] = [];
  for (const c of answer.conversations ?? []) {
    out.push(sdkEnum('originatingDirection', c.originatingDirection));
    for (const p of c.participants ?? []) {
      out.push(sdkEnum('purpose', p.purpose));
      for (const s of p.sessions ?? []) {
        out.push(sdkEnum('mediaType', s.mediaType), sdkEnum('direction', s.direction));
        for (const g of s.segments ?? []) out.push(sdkEnum('segmentType', g.segmentType), sdkEnum('disconnectType', g.disconnectType));
      }
    }
  }
  return out;
}

const platformClient = require('purecloud-platform-client-v2');

describe('sim: the official Genesys JavaScript SDK against the simulator', () => {
  let sim: SimHandle;
  const client = platformClient.ApiClient.instance;
  before(async () => {
    sim = await start({
      disconnectDelayMs: 20,
      scenario: {
        conversations: [
          conference(),
          // every ended-leg spelling the simulator knows, in REST form: analytics must answer in its own
          {
            participants: [
              { purpose: 'customer', queueId: QUEUE },
              ...ENDED_SPELLINGS.map((disconnectType) => ({ purpose: 'agent', queueId: QUEUE, state: 'terminated' as const, disconnectType })),
            ],
          },
        ],
      },
    });
    // setEnvironment() only builds https://api.D and https://login.D; the SDK's gateway setting is its way
    // to send both the login and the API to one custom origin.
    const u = new URL(sim.url);
    client.setGateway({ host: u.hostname, protocol: 'http', port: Number(u.port) });
  });
  after(async () => {
    client.setGateway(undefined);
    await sim.close();
  });

  it('loginClientCredentialsGrant, ConversationsApi.getConversation, patchConversationParticipant', async () => {
    const auth = await client.loginClientCredentialsGrant('sim-client-id', 'sim-client-secret');
    assert.ok(auth.accessToken);
    assert.ok(auth.tokenExpiryTime > Date.now() + 86_000_000, '24 h token');
    const conversations = new platformClient.ConversationsApi();
    const c = await conversations.getConversation(CONV);
    assert.equal(c.id, CONV);
    assert.equal(c.participants.length, 4);
    assert.equal(c.participants.find((p: any) => p.id === P.agent1).userId, USER.agent1);
    assert.equal(c.participants.find((p: any) => p.id === P.agent1).calls[0].state, 'connected');
    await conversations.patchConversationParticipant(CONV, P.agent2, { state: 'disconnected' });
    await eventually(
      async () => (await conversations.getConversation(CONV)).participants.find((p: any) => p.id === P.agent2).calls[0].state !== 'connected',
    );
    const log = await sim.control.requests();
    const grant = log.find((e) => e.path === '/oauth/token')!;
    assert.equal(grant.status, 200);
    assert.equal(grant.clientId, 'sim-client-id');
    assert.ok(log.some((e) => e.method === 'PATCH' && e.status === 202 && e.path === `/api/v2/conversations/${CONV}/participants/${P.agent2}`));
  });

  it('the SDK sees Genesys errors as the real API gives them (status, code, correlation id)', async () => {
    const conversations = new platformClient.ConversationsApi();
    await assert.rejects(conversations.patchConversationParticipant(CONV, P.agent2, { state: 'disconnected' }), (err: any) => {
      // The SDK rejects with the parsed ErrorBody.
      assert.equal(err.status, 400);
      assert.equal(err.code, 'conversation.error.participant.no.active.conversations');
      assert.equal(err.message, 'Participant has no active conversations');
      assert.match(err.contextId, /^[0-9a-f-]{36}$/);
      return true;
    });
    await assert.rejects(client.loginClientCredentialsGrant('sim-client-id', 'wrong'), (err: any) => {
      // The login rejects with the HTTP client's error.
      assert.equal(err.response.status, 401);
      assert.equal(err.response.data.error, 'invalid_client');
      return true;
    });
  });

  it("AnalyticsApi.postAnalyticsConversationsDetailsQuery with Genesys' blog query: a valid answer, no outdated_sdk_version", async () => {
    await client.loginClientCredentialsGrant('sim-client-id', 'sim-client-secret');
    const analytics = new platformClient.AnalyticsApi();
    const now = Date.now();
    // MyPureCloud/developer-center-blog source/2018-02-07-disconnecting-queued-interactions, as published, with
    // our queue and a current interval (30 days back, as the blog's).
    const blogQuery = {
      paging: { pageSize: 100, pageNumber: 1 },
      order: 'desc',
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { type: 'dimension', dimension: 'segmentType', operator: 'matches', value: 'interact' },
            { type: 'dimension', dimension: 'queueId', operator: 'matches', value: QUEUE },
            { type: 'dimension', dimension: 'segmentEnd', operator: 'notExists' },
          ],
        },
      ],
      conversationFilters: [{ type: 'and', predicates: [{ type: 'dimension', dimension: 'conversationEnd', operator: 'notExists' }] }],
      interval: `${new Date(now - 30 * 86_400_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
    };
    const answer = await analytics.postAnalyticsConversationsDetailsQuery(blogQuery);
    assert.equal(answer.totalHits, 2, 'the conference (two agents of the queue live) and the queue call with ended legs');
    const ids = answer.conversations.map((c: any) => c.conversationId);
    assert.ok(ids.includes(CONV));
    const enums = deserialisedEnums(answer);
    assert.ok(enums.length > 40);
    assert.ok(!enums.includes('outdated_sdk_version'), JSON.stringify(answer));
    const disconnectTypes = answer.conversations
      .flatMap((c: any) => c.participants.flatMap((p: any) => p.sessions.flatMap((s: any) => s.segments.map((g: any) => g.disconnectType))))
      .filter(Boolean);
    assert.equal(new Set(disconnectTypes).size, 18, 'every spelling came through');
    assert.ok(disconnectTypes.includes('conferenceTransfer'));
  });
  it('NotificationsApi: channels, subscriptions (ignoreErrors, Rejected), HEAD, includechannels, availabletopics parse as the SDK models', async () => {
    await client.loginClientCredentialsGrant('sim-client-id', 'sim-client-secret');
    const notifications = new platformClient.NotificationsApi();
    const channel = await notifications.postNotificationsChannels();
    assert.match(channel.connectUri, /^ws:\/\/127\.0\.0\.1:\d+\/channels\//);
    assert.ok(Date.parse(channel.expires) > Date.now());
    await notifications.headNotificationsChannel(channel.id);
    await sim.control.notifications.rejectTopic({ topic: 'v2.users.{id}.conversations', missingPermissions: ['some:permission'] });
    const topics = [{ id: `v2.detail.events.conversation.${CONV}.user.end` }, { id: `v2.users.${USER.agent1}.conversations` }];
    const listing = await notifications.putNotificationsChannelSubscriptions(channel.id, topics, { ignoreErrors: true });
    assert.deepEqual(
      listing.entities.map((t: any) => t.state),
      ['Permitted', 'Rejected'],
    );
    assert.deepEqual(listing.entities[1].missingPermissions, ['some:permission']);
    await assert.rejects(notifications.postNotificationsChannelSubscriptions(channel.id, topics), (err: any) => err.status === 403);
    await assert.rejects(
      notifications.postNotificationsChannelSubscriptions(channel.id, [{ id: 'v2.no.such.topic' }]),
      (err: any) => err.status === 400 && err.code === 'notification.invalid.topic',
    );
    assert.equal((await notifications.getNotificationsChannelSubscriptions(channel.id)).entities.length, 1);
    assert.equal((await notifications.getNotificationsChannels({ includechannels: 'oauthclient' })).entities.length, 1);
    const available = await notifications.getNotificationsAvailabletopics({ expand: ['description', 'requiresPermissions'] });
    assert.ok(available.entities.some((t: any) => t.id === 'v2.routing.queues.{id}.conversations' && typeof t.description === 'string'));
    await notifications.deleteNotificationsChannelSubscriptions(channel.id);
    assert.equal((await notifications.getNotificationsChannelSubscriptions(channel.id)).entities.length, 0);
    await sim.control.notifications.expireChannel(channel.id);
    // A HEAD answer has no body, so the SDK rejects with nothing to read: it only tells that the channel is gone.
    let gone = false;
    await notifications.headNotificationsChannel(channel.id).catch(() => (gone = true));
    assert.ok(gone);
  });
});
