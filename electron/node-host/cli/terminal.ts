// Asking the user before something destructive: only on a terminal. Commands take a Prompt so
// tests can answer for the user (or be a pipe that cannot be asked).
import readline from 'node:readline/promises';

export interface Prompt {
  isTTY: boolean;
  ask(question: string): Promise<string>;
}

export const terminal: Prompt = {
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  async ask(question) {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};
