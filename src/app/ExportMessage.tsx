/** The one line of feedback an export bar gives (a copied link, a failed export). */
export function ExportMessage({ message }: { message: string | null }) {
  return message ? (
    <span className="muted" role="note">
      {message}
    </span>
  ) : null;
}
