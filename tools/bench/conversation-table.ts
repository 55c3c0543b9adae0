import type {
  Conversation,
  ConversationLevel,
  ConversationReport,
} from './conversation';

const figure = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '—';
const bytes = (value: number) => `${figure(value)} B`;
const signedBytes = (value: number) =>
  `${value >= 0 ? '+' : '−'}${figure(Math.abs(value))}`;

const levelOf = (conversation: Conversation, users: number) =>
  conversation.levels.find((level) => level.users === users);

/** One line per figure, one column per conversation: what the terminal and the HTML show. */
export function conversationLines(
  report: ConversationReport,
): Array<[string, ...string[]]> {
  const sides = report.conversations;
  const perLevel = (
    label: string,
    cell: (level: ConversationLevel) => string,
  ): Array<[string, ...string[]]> =>
    [...new Set(sides.flatMap((side) => side.levels.map((l) => l.users)))].map(
      (users) => [
        `${label}, ${users} user${users === 1 ? '' : 's'}`,
        ...sides.map((side) => {
          const level = levelOf(side, users);
          return level ? cell(level) : '—';
        }),
      ],
    );
  return [
    ['requests (round trips)', ...sides.map((side) => String(side.requests))],
    [
      'bytes sent (request line + headers + body)',
      ...sides.map((side) => bytes(side.bytes.sent)),
    ],
    [
      '  of which the credential (Cookie / Authorization)',
      ...sides.map((side) => bytes(side.bytes.credentialSent)),
    ],
    [
      'bytes received (status line + headers + body)',
      ...sides.map((side) => bytes(side.bytes.received)),
    ],
    [
      '  of which the credential (Set-Cookie)',
      ...sides.map((side) => bytes(side.bytes.credentialReceived)),
    ],
    [
      'state kept on the server afterwards',
      ...sides.map((side) =>
        side.stateKept.memoryUsageBytes
          ? `${bytes(side.stateKept.bytes)} (MEMORY USAGE ${bytes(side.stateKept.memoryUsageBytes)})`
          : bytes(side.stateKept.bytes),
      ),
    ],
    [
      'data kept: the order + its claim (MEMORY USAGE)',
      ...sides.map((side) => bytes(side.dataKept.memoryUsageBytes)),
    ],
    ...perLevel(
      'server CPU per conversation',
      (level) => `${figure(level.serverCpuMsPerConversation, 2)} ms`,
    ),
    ...perLevel(
      'latency p50 / p99',
      (level) =>
        `${figure(level.latencyMs.p50, 1)} / ${figure(level.latencyMs.p99, 1)} ms`,
    ),
    ...perLevel(
      'conversations/s (failed)',
      (level) => `${figure(level.conversationsPerSecond)} (${level.failed})`,
    ),
  ];
}

export function steadyStateSentence(report: ConversationReport): string {
  const s = report.steadyState;
  return (
    `per steady-state request: the bearer token's header is ${bytes(s.bearerHeaderBytes)}, the session cookie's ${bytes(s.cookieHeaderBytes)}: ` +
    `${signedBytes(s.bearerExtraBytesPerRequest)} B per request = ${signedBytes(s.bearerExtraMBPerMillionRequests)} MB per million requests sent. ` +
    `The cart also sends its cookie back on every answer (rolling Set-Cookie, ${bytes(s.setCookieHeaderBytes)}): ` +
    `per round trip the token costs ${signedBytes(s.bearerExtraBytesPerRoundTrip)} B = ${signedBytes(s.bearerExtraMBPerMillionRoundTrips)} MB per million.`
  );
}

function loginSentence(report: ConversationReport): string {
  const login = report.login;
  return `before either: ${login.request} → ${login.status}, ${bytes(login.sent)} sent, ${bytes(login.received)} received (${login.note})`;
}

function stepsSentence(conversation: Conversation): string {
  return `${conversation.id} steps: ${conversation.steps
    .map(
      (step) =>
        `${step.request} ${figure(step.sent)} → ${figure(step.received)} B (credential ${figure(step.credentialSent)} / ${figure(step.credentialReceived)})`,
    )
    .join(' · ')}`;
}

/** The two conversations side by side, fixed width, for the terminal. */
export function formatConversations(report: ConversationReport): string {
  const header = [
    `americano conversation, via ${report.via}`,
    ...report.conversations.map((side) => `${side.id} (${side.credential})`),
  ];
  const table = [header, ...conversationLines(report)];
  const widths = header.map((_, column) =>
    Math.max(...table.map((line) => line[column].length)),
  );
  const format = (line: string[]) =>
    line
      .map((cell, column) =>
        column === 0
          ? cell.padEnd(widths[column])
          : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [
    ...table.map(format),
    loginSentence(report),
    ...report.conversations.map(stepsSentence),
    steadyStateSentence(report),
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

/** The same as an HTML section of the report. */
export function conversationsHtml(report: ConversationReport): string {
  const head = [
    'figure',
    ...report.conversations.map(
      (side) => `${side.id}: ${side.label} (${side.credential})`,
    ),
  ];
  const rows = conversationLines(report)
    .map(
      ([label, ...cells]) =>
        `<tr><td>${escapeHtml(label.trim())}</td>${cells.map((cell) => `<td class="n">${escapeHtml(cell)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<h2>The americano conversation, both ways (${escapeHtml(report.via)})</h2>
<table><thead><tr>${head.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead><tbody>
${rows}
</tbody></table>
<p>Each conversation ran ${report.plan.seconds} s at each number of users (${report.plan.users.join(', ')}), after ${report.plan.warmupSeconds} s of warm-up; bytes are medians over the 1-user run.</p>
<p>${escapeHtml(steadyStateSentence(report))}</p>
<p>${escapeHtml(loginSentence(report))}</p>
<ul>${report.conversations.map((side) => `<li>${escapeHtml(stepsSentence(side))}</li>`).join('')}${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>
`;
}
