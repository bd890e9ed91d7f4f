import type { ReactNode } from 'react';

/** A label beside (not around) its control, so the control's accessible name is the label alone. */
export function Labelled({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="control">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}
