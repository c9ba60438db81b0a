// A JSON request body for the dashboard's HTTP calls, with a size limit.
import type http from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function readJson(req: http.IncomingMessage, limit = 1 << 20): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new HttpError(413, 'request body too large');
  }
  if (!body.trim()) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}
