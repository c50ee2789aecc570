import axios, { AxiosInstance } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';

/** How both Ecwid clients talk HTTP: kept-alive connections, the configured timeout, statuses left to the caller. */
export function createEcwidAxios(config: EcwidResolvedConfig, baseURL?: string): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: config.http.timeoutMs,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });
}
