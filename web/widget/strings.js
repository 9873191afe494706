// Every word the visitor reads, by locale. Another language is another table with the same
// keys; a missing key falls back to English.

const en = {
  title: 'Chat',
  close: 'Close chat',
  greetingFallback: 'Hi! How can we help?',
  aiLabel: 'AI',
  you: 'You',
  assistant: 'Assistant',
  person: 'Support',
  replyInstantly: 'Our assistant answers right away',
  connecting: 'Connecting you to a person…',
  joined: '{name} joined the conversation',
  someoneJoined: 'A person joined the conversation',
  personAnswering: '{name} is answering',
  typing: '{name} is typing…',
  message: 'Message',
  send: 'Send',
  attach: 'Attach a file',
  dropHere: 'Drop the file to send it',
  sending: 'Sending…',
  notSent: 'Not sent.',
  retry: 'Retry',
  seen: 'Seen',
  uploading: 'Uploading {name}…',
  uploadFailed: '{name} could not be sent: {reason}',
  reconnecting: 'Reconnecting…',
  offline: 'You are offline. Messages will send when you are back.',
  resolved: 'This conversation is resolved.',
  resolvedShort: 'Resolved',
  rateQuestion: 'How did we do?',
  rateLegend: 'Rate this conversation',
  stars: '{n} out of 5',
  comment: 'Comment (optional)',
  sendRating: 'Send rating',
  thanksRating: 'Thanks for your rating!',
  newConversation: 'Start a new conversation',
  email: 'Email',
  emailHint: 'Your email, so we can reach you',
  emailInvalid: 'Enter an email address like name@example.com',
  notVerified: 'We could not verify who you are. Refresh the page and try again.',
  setupProblem: 'The chat is not available right now.',
  deleted: 'Message deleted',
  file: 'File',
};

const tables = { en };

export function strings(locale) {
  const table = tables[(locale || 'en').toLowerCase().split('-')[0]] || {};
  return (key, vars = {}) =>
    (table[key] ?? en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}
