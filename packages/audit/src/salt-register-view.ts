import fs from 'node:fs';
import type { SaltRegisterView } from './retention.js';

export type { SaltRegisterView };

/**
 * The embedded register file read without the privacy package's FileRegister, which creates the directory and
 * rewrites the file: the audit must not change what it inspects. A missing file is an empty register.
 */
export function fileSaltRegisterView(file: string): SaltRegisterView {
  return {
    description: `salt register file ${file}`,
    load: () => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(new Map());
        throw error;
      }
      const entries = JSON.parse(text) as Record<string, string>;
      return Promise.resolve(new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
    },
  };
}
