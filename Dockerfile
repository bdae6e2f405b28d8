# tollgate's processor image: dependencies, then the source, run with tsx (no build step to drift).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm i --no-save tsx@4
COPY src ./src
COPY schemas ./schemas
USER node
ENTRYPOINT ["npx", "tsx", "src/cli/main.ts"]
CMD ["start"]
