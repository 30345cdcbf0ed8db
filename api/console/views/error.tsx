import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { Notice } from './format.js';

export function ErrorPage({ session, status, message }: { session: Session | null; status: number; message: string }) {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'That did not work';
  return (
    <Layout title={title} session={session}>
      <h1>{title}</h1>
      <Notice kind="error" title={`${status}`}>
        <p>{message}</p>
      </Notice>
      <p>
        <a href="/console/jobs">Back to the jobs</a>
      </p>
    </Layout>
  );
}
