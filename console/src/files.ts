/** The text of the file chosen in an `<input type="file">` (undefined when none). */
export async function chosenText(ev: Event): Promise<string | undefined> {
  return (ev.target as HTMLInputElement).files?.[0]?.text()
}
