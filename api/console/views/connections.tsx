import type { ConnectionRow } from '../../../db/schema.js';
import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { When } from './format.js';

export function ConnectionsPage({ session, connections }: { session: Session; connections: { connection: ConnectionRow; jobs: number }[] }) {
  return (
    <Layout title="Connections" session={session} section="connections">
      <h1>Connections</h1>
      {connections.length === 0 ? (
        <p>No connections yet: create one with POST /v1/connections (see the API docs).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Connector</th>
              <th>Status</th>
              <th>Jobs</th>
              <th>Created</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {connections.map(({ connection, jobs }) => (
              <tr>
                <td>{connection.name}</td>
                <td>{connection.connector}</td>
                <td>{connection.status}</td>
                <td>
                  <a href={`/console/jobs?connection=${encodeURIComponent(connection.id)}`}>{`${jobs} job${jobs === 1 ? '' : 's'}`}</a>
                </td>
                <td>
                  <When at={connection.createdAt} />
                </td>
                <td>
                  <When at={connection.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
