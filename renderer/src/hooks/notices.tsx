import { type ReactNode, createContext, useCallback, useContext, useMemo, useState } from 'react';

export interface Notice {
  id: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

interface NoticeApi {
  notices: Notice[];
  notify(level: Notice['level'], message: string): void;
  dismiss(id: number): void;
}

const NoticeContext = createContext<NoticeApi | null>(null);
const MAX_NOTICES = 4;
let nextNoticeId = 1;

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const notify = useCallback((level: Notice['level'], message: string) => {
    setNotices((current) => [...current.filter((notice) => notice.message !== message), { id: nextNoticeId++, level, message }].slice(-MAX_NOTICES));
  }, []);
  const dismiss = useCallback((id: number) => setNotices((current) => current.filter((notice) => notice.id !== id)), []);
  const api = useMemo(() => ({ notices, notify, dismiss }), [notices, notify, dismiss]);
  return <NoticeContext.Provider value={api}>{children}</NoticeContext.Provider>;
}

export function useNotices(): NoticeApi {
  const api = useContext(NoticeContext);
  if (!api) throw new Error('useNotices needs a NoticeProvider');
  return api;
}

/**
 * Runs service calls for a page: while one runs `busy` names it, and a failure shows the
 * service's message as a notice instead of throwing.
 */
export function useAction(): { busy: string | null; run: <T>(label: string, work: () => Promise<T>) => Promise<T | undefined> } {
  const { notify } = useNotices();
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(
    async <T,>(label: string, work: () => Promise<T>): Promise<T | undefined> => {
      setBusy(label);
      try {
        return await work();
      } catch (error) {
        notify('error', error instanceof Error ? error.message : String(error));
        return undefined;
      } finally {
        setBusy(null);
      }
    },
    [notify],
  );
  return { busy, run };
}
