/**
 * A labelled file input that hands over the chosen file and then clears itself, so
 * choosing the same file again (after editing it) is seen as a new choice.
 */
export function FileInput({ label, accept, onFile }: { label: string; accept: string; onFile: (file: File) => void }) {
  return (
    <label className="file-button">
      {label}{' '}
      <input
        type="file"
        accept={accept}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) onFile(file);
        }}
      />
    </label>
  );
}
