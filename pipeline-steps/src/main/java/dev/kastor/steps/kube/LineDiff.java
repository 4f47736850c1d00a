package dev.kastor.steps.kube;

import java.util.ArrayList;
import java.util.List;

/** A unified-style line diff (LCS); objects are small, so quadratic is fine. Lines are prefixed ' ', '-', '+'; empty when equal. */
final class LineDiff {
    private LineDiff() {}

    static List<String> diff(List<String> a, List<String> b) {
        if (a.equals(b)) return List.of();
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        var out = new ArrayList<String>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                out.add(" " + a.get(i));
                i++;
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("-" + a.get(i++)); // removals before additions, as diff -u prints them
            } else {
                out.add("+" + b.get(j++));
            }
        }
        return out;
    }
}
