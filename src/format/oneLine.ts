/**
 * Each run of control characters: line breaks, tabs, ESC and the rest of C0 and C1, and the
 * bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make a prompt
 * display as other text than it is ("Trojan Source").
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Text as part of one line on a terminal, each run of control characters shown as one
 * space: a line break in a prompt would split a turn's line in two (and a log graph's lanes
 * with it), and an escape sequence in stored or remote text (a prompt from an imported
 * bundle, a provider's error message) must not reach the terminal as one.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ');
}
