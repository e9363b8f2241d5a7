/** Sizes of a problem, in the seed's notation: x (n_x, m, T_x), a (n_a, m, T_x), ŷ (n_y, m, T_x). */
export interface Dims {
  n_x: number;
  n_a: number;
  n_y: number;
  m: number;
  T_x: number;
}
