;;; wfc.el --- Major mode and Eglot setup for wfc workflow files  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, tools
;; SPDX-License-Identifier: Apache-2.0

;;; Commentary:

;; wfc checks and compiles typed workflow YAML for Conductor.  This file gives workflow files
;; (*.wf.yaml) and worker contract files (*.workers.yaml) the major mode `wfc-mode', derived from
;; `yaml-mode' when it is installed (else `yaml-ts-mode' when its grammar is, else `prog-mode'),
;; and tells Eglot to run the wfc language server, `wfc lsp', for that mode.
;;
;;   (add-to-list 'load-path "/path/to/wfc/editors/emacs")
;;   (require 'wfc)
;;   (add-hook 'wfc-mode-hook #'eglot-ensure)   ; start the server on opening a file
;;
;; Conductor expressions, ${...}, are highlighted inside values (not in comments); `$${' is
;; Conductor's escape for a literal `${' and is left alone.

;;; Code:

(require 'yaml-mode nil t)

(defgroup wfc nil
  "Typed Conductor workflows."
  :group 'languages
  :prefix "wfc-")

(defcustom wfc-server-command '("wfc" "lsp")
  "Command line that starts the wfc language server (LSP over stdio)."
  :type '(repeat string))

(defface wfc-expression-face
  '((t :inherit font-lock-variable-name-face))
  "Face for Conductor ${...} expressions.")

(defalias 'wfc-base-mode
  (cond ((fboundp 'yaml-mode) #'yaml-mode)
        ((and (fboundp 'yaml-ts-mode) (fboundp 'treesit-ready-p) (treesit-ready-p 'yaml t))
         #'yaml-ts-mode)
        (t #'prog-mode))
  "The major mode `wfc-mode' derives from, chosen when wfc.el is loaded.")

(defconst wfc--expression-regexp
  (concat "\\(?:^\\|[^$]\\)"
          "\\(\\${\\(?:[^{}$\n]\\|\\$[^{]\\|\\${[^{}\n]*}\\)*}\\)")
  "A ${...} expression (one level of nesting) not preceded by a `$'.")

(defun wfc--match-expression (limit)
  "Find the next ${...} expression before LIMIT that is not inside a comment."
  (let (found)
    (while (and (not found) (re-search-forward wfc--expression-regexp limit t))
      (unless (nth 4 (save-excursion (syntax-ppss (match-beginning 1))))
        (setq found t))
      ;; Rescan from the end of the `$': a match may have eaten the character before the next one.
      (unless found (goto-char (1+ (match-beginning 1)))))
    found))

(defconst wfc-font-lock-keywords
  '((wfc--match-expression 1 'wfc-expression-face prepend))
  "Highlighting added to the base mode's.")

;;;###autoload
(define-derived-mode wfc-mode wfc-base-mode "wfc"
  "Major mode for wfc workflows (*.wf.yaml) and worker contracts (*.workers.yaml)."
  (unless (derived-mode-p 'yaml-mode 'yaml-ts-mode)
    (modify-syntax-entry ?# "<" wfc-mode-syntax-table)
    (modify-syntax-entry ?\n ">" wfc-mode-syntax-table)
    (setq-local comment-start "# ")
    (setq-local comment-start-skip "#+[ \t]*")
    (setq-local indent-tabs-mode nil))
  (font-lock-add-keywords nil wfc-font-lock-keywords))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.wf\\.yaml\\'" . wfc-mode))
;;;###autoload
(add-to-list 'auto-mode-alist '("\\.workers\\.yaml\\'" . wfc-mode))

(defvar eglot-server-programs)

(defun wfc--server-contact (&optional _interactive)
  "The server command for Eglot: `wfc-server-command' when the server starts."
  wfc-server-command)

(with-eval-after-load 'eglot
  ;; The server recognises its files by name; "yaml" is the language id other editors send too.
  (add-to-list 'eglot-server-programs
               '((wfc-mode :language-id "yaml") . wfc--server-contact)))

(provide 'wfc)
;;; wfc.el ends here
