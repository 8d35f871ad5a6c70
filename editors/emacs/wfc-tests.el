;;; wfc-tests.el --- Tests of wfc.el  -*- lexical-binding: t; -*-

;; emacs --batch -q -L editors/emacs -l wfc-tests -f ert-run-tests-batch-and-exit
;; (`-q', not `-Q': Debian's elpa-eglot and elpa-yaml-mode must be on the load path.)

;;; Commentary:

;; The mode a file gets, what is highlighted as an expression, and what Eglot would start, without
;; a server: Eglot's own contact guess is inspected.

;;; Code:

(require 'ert)
(require 'eglot)
(require 'wfc)

(defun wfc-tests--expression-runs (text)
  "The runs of TEXT that `wfc-mode' shows in `wfc-expression-face'."
  (with-temp-buffer
    (insert text)
    (wfc-mode)
    (font-lock-ensure)
    (goto-char (point-min))
    (let (runs)
      (while (< (point) (point-max))
        (let ((face (get-text-property (point) 'face))
              (next (or (next-single-property-change (point) 'face) (point-max))))
          (when (memq 'wfc-expression-face (if (listp face) face (list face)))
            (push (buffer-substring-no-properties (point) next) runs))
          (goto-char next)))
      (nreverse runs))))

(ert-deftest wfc-tests-mode-by-file-name ()
  (dolist (case '(("flows/release.wf.yaml" . wfc-mode)
                  ("flows/build.workers.yaml" . wfc-mode)
                  ("flows/other.yaml" . yaml-mode)))
    (with-temp-buffer
      (setq buffer-file-name (expand-file-name (car case) temporary-file-directory))
      (set-auto-mode)
      (should (eq major-mode (cdr case))))))

(ert-deftest wfc-tests-derives-from-yaml-mode ()
  (with-temp-buffer
    (wfc-mode)
    (should (derived-mode-p 'yaml-mode))
    (should (equal comment-start "# "))))

(ert-deftest wfc-tests-expressions ()
  (should (equal (wfc-tests--expression-runs
                  (concat "a: ${workflow.input.x}\n"
                          "b: \"id-${x.output.id}\" # ${not.in.a.comment}\n"
                          "# ${nor.here}\n"
                          "c: $${literal} and ${y.output.z}\n"
                          "d: ${workflow.input.${workflow.input.key}}\n"
                          "e: ${{ github.sha }} ${unclosed\n"))
                 '("${workflow.input.x}" "${x.output.id}" "${y.output.z}"
                   "${workflow.input.${workflow.input.key}}"))))

(ert-deftest wfc-tests-eglot-contact ()
  (with-temp-buffer
    (setq buffer-file-name (expand-file-name "release.wf.yaml" temporary-file-directory))
    (wfc-mode)
    (let ((wfc-server-command '("/opt/wfc/bin/wfc" "lsp" "--flag")))
      (pcase-let ((`(,_modes ,_project ,class ,contact ,language-id) (eglot--guess-contact)))
        (should (eq class 'eglot-lsp-server))
        (should (equal contact '("/opt/wfc/bin/wfc" "lsp" "--flag")))
        (should (equal language-id "yaml"))))))

(provide 'wfc-tests)
;;; wfc-tests.el ends here
