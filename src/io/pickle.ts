/**
 * Pickles are refused, never opened: unpickling runs whatever code the file names (it is how
 * torch.save stores a state_dict: a pickle, alone or in a zip as <dir>/data.pkl). Every reader
 * that meets one says so in one line, with how to export the tensors instead.
 */

/** Names of files that are pickles by convention (torch.save's .pt/.pth, Hugging Face's pytorch_model.bin, …). */
export const PICKLE_EXTENSIONS = ['.pt', '.pth', '.bin', '.pkl', '.pickle', '.ckpt'] as const;

/** The first byte of a pickle of protocol 2 or later (PROTO). */
export const PICKLE_PROTO = 0x80;

/** The refusal: `what` the file looks like, then why and what to do. */
export function pickleRefusal(what: string): string {
  return `${what}: a pickle, which can run any code when loaded, so rnn never opens one; export the tensors instead, `
    + "with safetensors.torch.save_file(model.state_dict(), 'w.safetensors') or np.savez('w.npz', **{k: v.numpy() for k, v in model.state_dict().items()})";
}
